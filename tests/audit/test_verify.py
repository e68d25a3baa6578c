"""Tamper evidence: `audit verify` finds events changed, deleted or inserted in the database."""

from __future__ import annotations

import psycopg
import pytest

from app.audit.verify import verify_chain
from app.cli.main import main
from tests.controls import change, create, new_click


@pytest.fixture
def chained(demo, services, database):
    """A demo service with one lead approved and every event chained."""
    click = new_click(demo)
    create(demo, click=click)
    change(demo, click=click, status="approve")
    services.runner.catch_up()
    return database


def tamper(database, statement: str) -> int:
    """Run `statement` on the event store behind the service's back; returns a position."""
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        position = connection.execute(
            "SELECT max(notification_id) FROM ledger_events "
            "WHERE convert_from(state, 'UTF8') LIKE '%\"approve\"%' AND topic LIKE '%StatusChanged'"
        ).fetchone()[0]
        connection.execute(statement, {"position": position})
    return position


def test_an_untouched_event_store_verifies(chained):
    report = verify_chain(chained.conninfo())

    assert report.intact
    assert report.links_checked > 0
    assert report.not_yet_chained == 0


def test_verify_reports_the_position_of_an_event_altered_in_the_database(chained):
    position = tamper(
        chained,
        "UPDATE ledger_events SET state = convert_to(replace(convert_from(state, 'UTF8'), "
        "'\"approve\"', '\"cancel\"'), 'UTF8') WHERE notification_id = %(position)s",
    )

    report = verify_chain(chained.conninfo())

    assert report.broken is not None
    assert report.broken.position == position
    assert "altered" in report.broken.problem


def test_verify_reports_an_event_deleted_from_the_database(chained):
    position = tamper(chained, "DELETE FROM ledger_events WHERE notification_id = %(position)s")

    report = verify_chain(chained.conninfo())

    assert report.broken.position == position
    assert "deleted" in report.broken.problem


def test_audit_verify_command_exits_non_zero_on_a_broken_link(chained, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", chained.url())
    assert main(["audit", "verify"]) == 0
    position = tamper(
        chained,
        "UPDATE ledger_events SET state = convert_to(replace(convert_from(state, 'UTF8'), "
        "'\"approve\"', '\"cancel\"'), 'UTF8') WHERE notification_id = %(position)s",
    )

    assert main(["audit", "verify"]) == 1
    assert f"BROKEN at position {position}" in capsys.readouterr().err
