"""A status set by settling a statement line starts and ends holds as a postback's does: a lead
the settlement puts on `hold` gets the hold rule's end, and the follower releases it then; a
lead the settlement takes off hold has no running hold left (issue 21)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.controls import create, lead
from tests.hold_controls import (
    Clock,
    follower,
    hold_row,
    lead_events,
    lead_on_hold,
    releases_of,
    with_hold_rule,
)
from tests.reconciliation.controls import accept, lines, statement, uploaded

_72H = timedelta(hours=72)


def _settled_to_hold(client, services, exto: str) -> tuple[str, datetime, datetime]:
    """(lead id, before, after): a lead of offer-1/reg a value_differs line puts on hold."""
    create(client, flow="101", exto=exto)
    services.runner.catch_up()
    run = uploaded(client, statement([[exto, "hold"]], ["exto", "status"]))
    (line,) = lines(client, run["id"], **{"class": "value_differs"})
    before = datetime.now(UTC)
    accept(client, run["id"], classes=["value_differs"])
    return line["lead_id"], before, datetime.now(UTC)


def _released_at_its_time(services, lead_id: str) -> dict:
    """Runs the follower an instant before the hold's end (nothing) and at it (one release)."""
    f = follower(services, Clock(None))
    f.catch_up()
    row = hold_row(services, lead_id)
    f._clock = Clock(row["due_at"] - timedelta(microseconds=1))
    assert not f.release_due()
    f._clock = Clock(row["due_at"])
    assert f.release_due() == {"released": 1}
    return row


def test_a_statement_line_that_puts_a_lead_on_hold_gives_it_the_hold_rules_end(demo, services):
    with_hold_rule(demo)  # offer-1/reg: 72h, then approve
    lead_id, before, after = _settled_to_hold(demo, services, "h-1")
    services.runner.catch_up()

    shown = lead(demo, lead_id)
    assert shown["status"] == "hold" and shown["after_hold"] == "approve"
    assert before + _72H <= datetime.fromisoformat(shown["hold_until"]) <= after + _72H


def test_the_follower_releases_a_hold_a_settlement_started_at_its_time(demo, services):
    with_hold_rule(demo)
    lead_id, _, _ = _settled_to_hold(demo, services, "h-2")

    row = _released_at_its_time(services, lead_id)

    assert row["rule"] == "offer-1/reg" and row["due_at"] - row["started_at"] == _72H
    (release,) = releases_of(services, lead_id)
    assert release.cause["rule"] == "offer-1/reg"
    services.runner.catch_up()
    assert lead(demo, lead_id)["status"] == "approve"


def test_the_hold_a_settlement_starts_follows_the_rule_in_force_at_the_settlement(demo, services):
    with_hold_rule(demo)
    create(demo, flow="101", exto="h-3")  # the lead began under 72h, then approve
    services.runner.catch_up()
    with_hold_rule(demo, offer='after_hold = "cancel"', reg='hold_for = "1d"')
    run = uploaded(demo, statement([["h-3", "hold"]], ["exto", "status"]))
    (line,) = lines(demo, run["id"], **{"class": "value_differs"})

    accept(demo, run["id"], classes=["value_differs"])
    follower(services, Clock(None)).catch_up()

    row = hold_row(services, line["lead_id"])
    assert row["after_hold"] == "cancel" and row["due_at"] - row["started_at"] == timedelta(days=1)
    assert row["catalog_version"] == services.catalog.current().version


def test_a_lead_a_statement_line_creates_on_hold_is_released_by_the_hold_rule(demo, services):
    with_hold_rule(demo, offer='after_hold = "cancel"')
    body = statement([["h-4", "101", "hold"]], ["exto", "flow", "status"])
    run = uploaded(demo, body)

    done = accept(demo, run["id"], lines=[2])
    lead_id = done["lines"][0]["lead_id"]
    services.runner.catch_up()
    assert lead(demo, lead_id)["after_hold"] == "cancel"

    _released_at_its_time(services, lead_id)
    services.runner.catch_up()
    assert lead(demo, lead_id)["status"] == "cancel"


def test_a_settlement_that_approves_a_held_lead_ends_its_running_hold(demo, services):
    with_hold_rule(demo, offer='after_hold = "cancel"')
    lead_id = lead_on_hold(demo, "h-5")
    services.runner.catch_up()
    f = follower(services, Clock(None))
    f.catch_up()
    due = hold_row(services, lead_id)["due_at"]
    run = uploaded(demo, statement([["h-5", "approved"]], ["exto", "status"]))

    accept(demo, run["id"], classes=["value_differs"])
    services.runner.catch_up()
    f.catch_up()

    settlement = lead_events(services, lead_id)[-1]
    assert settlement.statement_line and settlement.hold is None  # as a postback's: no terms
    shown = lead(demo, lead_id)
    assert shown["status"] == "approve"
    assert shown["hold_until"] is None and shown["after_hold"] is None
    assert hold_row(services, lead_id) is None
    f._clock = Clock(due)
    assert not f.release_due()
    assert releases_of(services, lead_id) == []
