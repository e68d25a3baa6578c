"""Closed periods stay as sealed: `audit verify` checks the seals, `audit check` the statements,
and a rebuild gives the same ledger, hence the same sealed figures."""

from __future__ import annotations

import psycopg

from app.audit.check import audit
from app.cli.main import main
from app.periods.seals import seal_problems, statement_problems
from projections.periods.projection import PeriodsProjection
from projections.rebuild.rebuilder import Rebuild
from tests.ledger_controls import changed, created_lead
from tests.periods.period_controls import closed, lead_approved, moment_after_now


def two_closed_periods(demo, services) -> None:
    lead_approved(demo, "s-1")
    created_lead(demo, exto="s-2", pay="20.00", cc="EUR")
    closed(demo, moment_after_now())
    changed(demo, exto="s-1", status="cancel")
    changed(demo, exto="s-2", status="hold")
    closed(demo, moment_after_now())
    created_lead(demo, exto="s-3")  # in the open period
    services.runner.catch_up()


def _problems(services) -> tuple[list[str], list[str]]:
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        return seal_problems(services.ledger, cursor), statement_problems(services.ledger, cursor)


def test_untouched_periods_verify_and_check(demo, services, database, monkeypatch):
    two_closed_periods(demo, services)

    assert _problems(services) == ([], [])
    assert audit(database, services.ledger).ok
    monkeypatch.setenv("DATABASE_URL", database.url())
    assert main(["audit", "verify"]) == 0


def test_an_entry_of_a_closed_period_changed_afterwards_breaks_its_seal(
    demo, services, database, monkeypatch, capsys
):
    two_closed_periods(demo, services)
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        connection.execute(
            "UPDATE ledger_entries SET amount = amount * 2 WHERE id = "
            "(SELECT min(id) FROM ledger_entries WHERE account = 'webmaster:wm-1')"
        )

    seals, statements = _problems(services)

    assert len(seals) == 1 and seals[0].startswith("period 1: the ledger's entries")
    assert any(line.startswith("period 1 webmaster:wm-1 USD") for line in statements)
    assert not audit(database, services.ledger).ok
    monkeypatch.setenv("DATABASE_URL", database.url())
    assert main(["audit", "verify"]) == 1
    assert "period 1" in capsys.readouterr().err


def test_a_statement_changed_in_the_read_model_is_found_by_check(demo, services, database):
    two_closed_periods(demo, services)
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        connection.execute(
            "UPDATE period_statements SET document = replace(document, '10.00', '1.00') "
            "WHERE number = 2 AND account = 'webmaster:wm-1'"
        )

    assert _problems(services)[1] == ["period 2: the statements shown differ from the sealed ones"]


def test_a_rebuild_of_the_ledger_keeps_every_seal_and_statement(demo, services):
    two_closed_periods(demo, services)

    Rebuild(services.ledger, services.address, "all", "tester", dry_run=False).run()

    assert _problems(services) == ([], [])


def test_replaying_the_periods_read_model_writes_the_same_bytes(demo, services, database):
    two_closed_periods(demo, services)
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        before = _documents(connection)
        replayed = _replayed_documents(connection, services)

    assert replayed == before and len(before) > 3


def _documents(connection) -> list[tuple]:
    return connection.execute(
        "SELECT number, account, currency, document FROM period_statements ORDER BY 1, 2, 3"
    ).fetchall()


def _replayed_documents(connection, services) -> list[tuple]:
    """The read model written again from every event, in a schema of its own."""
    from psycopg.rows import dict_row

    from projections.eventlog.reading import LogReader

    connection.execute("CREATE SCHEMA replay")
    try:
        with connection.transaction(), connection.cursor(row_factory=dict_row) as cursor:
            cursor.execute("SET LOCAL search_path TO replay")
            projection = PeriodsProjection()
            projection.create_tables(cursor)
            projection.process(cursor, LogReader(services.ledger).read(start=0, limit=100_000))
            rows = cursor.execute(
                "SELECT number, account, currency, document FROM period_statements ORDER BY 1, 2, 3"
            ).fetchall()
        return [tuple(row.values()) for row in rows]
    finally:
        connection.execute("DROP SCHEMA replay CASCADE")
