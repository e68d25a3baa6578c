"""Lead histories for export: each holder's leads alive in a period, and a flat row per step."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import msgspec

from app.audit.as_of import LedgerClock
from app.audit.history import lead_history
from app.eventstore.application import LedgerApplication
from domain.catalog_view import CatalogView
from projections.eventlog.events import stream_rows
from projections.lead_view.holders import ExportFilter, alive_lead_ids


def history_rows(
    app: LedgerApplication, where: ExportFilter, catalog: CatalogView
) -> Iterator[msgspec.Struct]:
    """The history of each lead of the holder that was alive during the period."""
    statement, params = alive_lead_ids(where)
    with app.recorder.datastore.get_connection() as connection:
        with connection.cursor() as cursor:
            clock = LedgerClock.load(app, cursor)
        for row in stream_rows(connection, statement, params):
            with connection.cursor() as cursor:
                found = lead_history(app, cursor, row["id"], catalog, clock)
            if found is not None:
                yield found


HISTORY_COLUMNS = [
    "lead_id", "at", "kind", "position", "postback_id", "method", "source_ip", "outcome",
    "error", "events", "status_before", "status_after", "payout_before", "payout_after",
    "commission_before", "commission_after", "rule_version_before", "rule_version_after",
    "recalculation_id", "params",
]  # fmt: skip


def history_steps(histories: Iterable) -> Iterator[dict]:
    """One flat row per step of each history, for CSV."""
    for history in histories:
        for step in history.steps:
            postback, before, after = step.postback, step.before, step.after
            yield {
                "lead_id": history.id,
                "at": step.at,
                "kind": step.kind,
                "position": step.position,
                "postback_id": postback.id if postback else None,
                "method": postback.method if postback else None,
                "source_ip": postback.source_ip if postback else None,
                "outcome": postback.outcome if postback else None,
                "error": postback.error if postback else None,
                "events": " ".join(event.type for event in step.events),
                "status_before": before.status if before else None,
                "status_after": after.status if after else None,
                "payout_before": _money(before, "advertiser_payout"),
                "payout_after": _money(after, "advertiser_payout"),
                "commission_before": _money(before, "webmaster_commission"),
                "commission_after": _money(after, "webmaster_commission"),
                "rule_version_before": before.rule_version if before else None,
                "rule_version_after": after.rule_version if after else None,
                "recalculation_id": step.recalculation.id if step.recalculation else None,
                "params": postback.params if postback else None,
            }


def _money(snapshot, side: str) -> str | None:
    money = getattr(snapshot, side) if snapshot else None
    return f"{money.amount} {money.currency}" if money else None
