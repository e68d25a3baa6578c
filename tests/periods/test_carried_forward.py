"""A closed period never changes: a back-dated rate lands in the open period as an adjustment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.periods.seals import seal_problems, statement_problems
from projections.rebuild.rebuilder import Rebuild
from tests.controls import ADMIN
from tests.ledger_controls import apply_catalog, commission, goal_rate_toml
from tests.periods.period_controls import (
    closed,
    lead_approved,
    moment_after_now,
    movements,
    statement_of,
)


def closed_lead_repriced(demo, services) -> tuple[str, dict]:
    """wm-1's lead approved at 10.00 and closed in period 1; then reg pays 12.00 from before."""
    lead_id = lead_approved(demo, "c-1")
    closed(demo, moment_after_now())
    since = datetime.now(UTC) - timedelta(days=30)
    answer = apply_catalog(demo, goal_rate_toml("12.00", effective_from=since))
    return lead_id, answer


def test_a_back_dated_rate_leaves_the_closed_period_as_sealed(demo, services):
    closed_lead_repriced(demo, services)

    Rebuild(services.ledger, services.address, "all", "tester").run()

    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        assert seal_problems(services.ledger, cursor) == []
        assert statement_problems(services.ledger, cursor) == []


def test_the_difference_is_booked_in_the_open_period_as_an_adjustment_with_its_cause(
    demo, services
):
    lead_id, _ = closed_lead_repriced(demo, services)
    record = Rebuild(services.ledger, services.address, "all", "tester").run()

    second = closed(demo, moment_after_now())

    services.runner.catch_up()
    statement = statement_of(demo, second["id"], "webmaster:wm-1")
    assert statement["opening"]["approved"] == "10.00"
    assert movements(statement) == {("adjusted", "approved"): "2.00"}
    assert statement["closing"]["approved"] == "12.00"
    adjustments = [
        e for e in commission(demo, lead_id)["entries"] if e["event_type"] == "Recalculation"
    ]
    assert {e["recalculation_id"] for e in adjustments} == {str(record.id)}
    assert commission(demo, lead_id)["webmaster_commission"]["amount"] == "12.00"


def test_a_recalculations_preview_says_which_amounts_land_as_adjustments(demo, services):
    lead_id, answer = closed_lead_repriced(demo, services)

    preview = demo.get(f"/api/recalculations/{answer['rebuild_preview']}", headers=ADMIN).json()

    assert preview["dry_run"] is True
    assert {
        "lead_id": lead_id, "account": "webmaster:wm-1", "bucket": "approved",
        "currency": "USD", "amount": "-2.00",
    } in preview["differences"]["adjustments"]  # fmt: skip
