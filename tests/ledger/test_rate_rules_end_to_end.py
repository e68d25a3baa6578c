"""The commission rule end to end: random back-dated, future and same-instant rate versions over
real leads; after a rebuild every lead is priced as a reference of the rule says, and the
ledger a rebuild makes equals the one the live projection keeps from then on."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projections.rebuild.rebuilder import Rebuild
from tests.controls import ADMIN, lead
from tests.ledger_controls import apply_catalog, changed, commission, created_lead, goal_rate_toml


def reference_price(statements: list[tuple[datetime, str]], at: datetime) -> str | None:
    """docs/commission-rules.md in a few lines: a version is superseded by any later one that
    starts at or before it; of the others, the latest start not after `at` applies."""
    standing = [
        (start, amount)
        for i, (start, amount) in enumerate(statements)
        if not any(later <= start for later, _ in statements[i + 1 :]) and start <= at
    ]
    return max(standing)[1] if standing else None


where = st.sampled_from(["long-ago", "lead", "just-after-lead", "future"])
statement = st.tuples(where, st.integers(0, 2), st.sampled_from(["10.00", "11.00", "12.50"]))


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    statuses=st.lists(st.sampled_from(["new", "hold", "approve"]), min_size=1, max_size=3),
    statements=st.lists(statement, min_size=1, max_size=3),
)
def test_after_any_rate_history_a_rebuild_prices_every_lead_by_the_rule(
    demo, services, statuses, statements
):
    # Examples share the database: the leads and statements of earlier ones count too.
    said, leads = _so_far(demo)
    new = _new_leads(demo, statuses)
    leads.update(new)
    for kind, index, amount in statements:
        start = _instant(kind, list(new.values())[index % len(new)])
        apply_catalog(demo, goal_rate_toml(amount, effective_from=start))
        said.append((start, amount))

    Rebuild(services.ledger, services.address, "all", "tester", False).run()

    history = _history(demo)
    assert [v["superseded_by"] for v in history] == _superseded(history)
    for lead_id, created in leads.items():
        booked = commission(demo, lead_id)["webmaster_commission"]
        assert (booked and booked["amount"]) == reference_price(said, created), (lead_id, created)
    last = max(changed(demo, exto=demo.rate_extos[lead_id], status="cancel") for lead_id in new)
    commission(demo, next(iter(new)), after=last)
    check = Rebuild(services.ledger, services.address, "all", "tester", True).run()
    assert check.differences["leads"] == [] and check.differences["accounts"] == []


def _so_far(demo) -> tuple[list[tuple[datetime, str]], dict[str, datetime]]:
    if not hasattr(demo, "rate_statements"):
        first = _history(demo)[0]
        demo.rate_statements = [(datetime.fromisoformat(first["effective_from"]), "10.00")]
        demo.rate_leads, demo.rate_extos = {}, {}
    return demo.rate_statements, demo.rate_leads


def _history(demo) -> list[dict]:
    rates = demo.get(
        "/api/catalog/rates", params={"offer": "offer-1", "goal": "reg"}, headers=ADMIN
    )
    return next(r for r in rates.json()["rates"] if r["webmaster"] is None)["versions"]


def _superseded(history: list[dict]) -> list[int | None]:
    starts = [datetime.fromisoformat(v["effective_from"]) for v in history]
    return [
        next((history[j]["version"] for j in range(i + 1, len(starts)) if starts[j] <= start), None)
        for i, start in enumerate(starts)
    ]


def _new_leads(demo, statuses: list[str]) -> dict[str, datetime]:
    made = {}
    for status in statuses:
        exto = f"e2e-{uuid.uuid4()}"
        lead_id, position = created_lead(demo, exto=exto)
        if status != "new":
            position = changed(demo, exto=exto, status=status)
        made[lead_id] = datetime.fromisoformat(lead(demo, lead_id, after=position)["created_at"])
        demo.rate_extos[lead_id] = exto
    return made


def _instant(kind: str, lead_created: datetime) -> datetime:
    return {
        "long-ago": lead_created - timedelta(days=365),
        "lead": lead_created,
        "just-after-lead": lead_created + timedelta(microseconds=1),
        "future": lead_created + timedelta(days=365),
    }[kind]
