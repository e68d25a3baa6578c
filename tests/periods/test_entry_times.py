"""Each ledger entry says when the fact happened (`effective_at`), when it was booked
(`booked_at`) and the period it belongs to (`period`, null while open), wherever it is listed."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from projections.rebuild.rebuilder import Rebuild
from tests.controls import ADMIN
from tests.ledger_controls import apply_catalog, changed, commission, goal_rate_toml
from tests.periods.period_controls import closed, lead_approved, moment_after_now, statement_of
from tests.periods.test_carried_forward import closed_lead_repriced
from tests.reconciliation.controls import accept, statement, uploaded

MONTH = timedelta(days=30)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _back_dated_lead(demo, services, hours_ago: int = 20) -> tuple[str, datetime]:
    """A lead an advertiser's statement line says happened `hours_ago`, created from it now
    (offer-1's rates back-dated a month first, so the lead has a price at that time)."""
    apply_catalog(demo, goal_rate_toml("10.00", effective_from=datetime.now(UTC) - MONTH))
    when = (datetime.now(UTC) - timedelta(hours=hours_ago)).replace(microsecond=0)
    body = statement([["o-7", "101", "approved", when.isoformat()]],
                     ["exto", "flow", "status", "time"])  # fmt: skip
    done = accept(demo, uploaded(demo, body)["id"], lines=[2])
    services.runner.catch_up()
    return done["lines"][0]["lead_id"], when


def test_a_back_dated_lead_is_effective_when_it_happened_and_booked_when_recorded(demo, services):
    lead_id, when = _back_dated_lead(demo, services)

    entries = commission(demo, lead_id)["entries"]

    created = [e for e in entries if e["event_type"] == "Lead.Created"]
    assert created and all(_moment(e["effective_at"]) == when for e in created)
    assert all(_moment(e["booked_at"]) > when + timedelta(hours=19) for e in created)
    assert all(e["booked_at"] == e["recorded_at"] and e["period"] is None for e in entries)


def test_a_late_change_to_a_lead_of_a_closed_period_is_booked_in_the_open_period(demo, services):
    lead_id = lead_approved(demo, "p-1")
    first = closed(demo, moment_after_now())
    changed(demo, exto="p-1", status="cancel")
    services.runner.catch_up()

    before = commission(demo, lead_id)["entries"]
    second = closed(demo, moment_after_now())
    services.runner.catch_up()
    after = commission(demo, lead_id)["entries"]

    cancel = [e for e in before if e["event_type"] == "Lead.StatusChanged"][-1]
    assert _moment(cancel["booked_at"]) >= _moment(first["until"]) and cancel["period"] is None
    assert cancel["effective_at"] == cancel["booked_at"]  # a postback's fact is its call
    by_position = {e["position"]: e["period"] for e in after}
    assert by_position[cancel["position"]] == second["id"]
    assert {by_position[e["position"]] for e in before if e["position"] < cancel["position"]} == {
        first["id"]
    }


def test_a_back_dated_lead_settled_after_its_period_closed_lands_in_the_open_period(demo, services):
    lead_approved(demo, "p-1")
    first = closed(demo, moment_after_now())
    lead_id, when = _back_dated_lead(demo, services, hours_ago=1)  # in the closed period's time
    second = closed(demo, moment_after_now())

    services.runner.catch_up()
    entries = commission(demo, lead_id)["entries"]
    assert {e["period"] for e in entries} == {second["id"]}
    settled = statement_of(demo, second["id"], "webmaster:wm-1")["settlements"]
    assert settled and {_moment(line["effective_at"]) for line in settled} == {when}
    assert when < _moment(first["until"])
    assert all(_moment(line["booked_at"]) > _moment(first["until"]) for line in settled)


def test_a_carried_forward_adjustment_is_effective_at_the_leads_conversion(demo, services):
    lead_id, _ = closed_lead_repriced(demo, services)
    Rebuild(services.ledger, services.address, "all", "tester").run()
    services.runner.catch_up()

    entries = commission(demo, lead_id)["entries"]

    created = next(e for e in entries if e["event_type"] == "Lead.Created")
    adjusted = [e for e in entries if e["event_type"] == "Recalculation"]
    assert adjusted and all(e["period"] is None for e in adjusted)
    assert {e["effective_at"] for e in adjusted} == {created["effective_at"]}
    assert all(e["booked_at"] > created["booked_at"] for e in adjusted)
    assert created["period"] == 1


def test_the_exported_ledger_has_the_times_and_the_period_of_each_entry(demo, services):
    lead_approved(demo, "p-1")
    first = closed(demo, moment_after_now())
    changed(demo, exto="p-1", status="cancel")
    services.runner.catch_up()

    response = demo.get("/api/exports/ledger", params={"format": "csv"}, headers=ADMIN)

    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {"effective_at", "booked_at", "period", "recorded_at"} <= set(rows[0])
    periods = {row["period"] for row in rows}
    assert periods == {str(first["id"]), ""}
    assert all(row["booked_at"] == row["recorded_at"] for row in rows)
