"""The lead view's invariants, for `postback-ledger audit check`: every lead as its events say,
and no two leads for one (click or flow, exto).

`snapshot` is the audit's consistent read of the database (`app.audit.check.Snapshot`): its
`rows(statement, params)` runs a query in the audit's snapshot transaction.
"""

from __future__ import annotations

from uuid import UUID

from domain.catalog_view import CatalogView
from domain.lead_state import LeadState, amounts_of
from projections.lead_view.projection import LEAD_VIEW_TABLE, state_from_row


def lead_view_violations(
    snapshot, folded: dict[UUID, LeadState], catalog: CatalogView, up_to: int
) -> list[str]:
    rows = {row["id"]: row for row in snapshot.rows(f"SELECT * FROM {LEAD_VIEW_TABLE}")}
    problems = [
        f"lead {lead_id}: in the lead view but it has no events up to position {up_to}"
        for lead_id in rows.keys() - folded.keys()
    ]
    for lead_id, state in folded.items():
        row = rows.get(lead_id)
        if row is None:
            problems.append(f"lead {lead_id}: has events but is missing from the lead view")
            continue
        problems += [
            f"lead {lead_id}: lead view says {name}={seen!r}, its events say {wanted!r}"
            for name, seen, wanted in _view_differences(row, state, catalog)
        ]
    return problems


def _view_differences(row: dict, state: LeadState, catalog: CatalogView):
    held = state_from_row(row)
    for name in ("click", "exto", "flow", "offer", "advertiser", "webmaster", "goal", "status",
                 "version", "last_postback_id", "advertiser_payout_override",
                 "webmaster_commission_override"):  # fmt: skip
        if getattr(held, name) != getattr(state, name):
            yield name, getattr(held, name), getattr(state, name)
    amounts = amounts_of(state, catalog)
    for side, money in (
        ("advertiser", amounts.advertiser_payout),
        ("webmaster", amounts.webmaster_commission),
    ):
        seen = (row[f"{side}_amount"], row[f"{side}_currency"])
        wanted = (None, None) if money is None else (money.amount, money.currency)
        if seen != wanted:
            yield f"{side} amount (rebuild needed after a rate change?)", seen, wanted


def duplicate_lead_violations(snapshot) -> list[str]:
    rows = snapshot.rows(
        "SELECT coalesce(click, 'flow ' || flow) AS source, exto, count(*) AS leads "
        "FROM lead_view WHERE exto IS NOT NULL OR click IS NOT NULL "
        "GROUP BY 1, 2 HAVING count(*) > 1"
    )
    return [f"{r['leads']} leads for {r['source']} with exto {r['exto']!r}" for r in rows]
