"""The audit chain kept per page (issue 27): one row per page of events, the same chain as one
row per event, found broken where it breaks, and a database with the old per-event table
converted when the service opens it."""

from __future__ import annotations

from dataclasses import replace

import psycopg

from app.audit.verify import verify_chain
from app.services import Services
from tests.controls import change, create, new_click


def _counts(database) -> tuple[int, int, int]:
    """(page rows, links in them, stored events)."""
    with psycopg.connect(database.conninfo()) as connection:
        pages, links = connection.execute(
            "SELECT count(*), coalesce(sum(cardinality(positions)), 0) FROM audit_chain_pages"
        ).fetchone()
        events = connection.execute("SELECT count(*) FROM ledger_events").fetchone()[0]
    return pages, links, events


def _write_leads(client, count: int) -> None:
    for _ in range(count):
        click = new_click(client)
        create(client, click=click)
        change(client, click=click, status="approve")


def test_a_page_of_events_is_chained_in_one_row(paused_projections, database):
    client, services = paused_projections
    services.runner.catch_up()
    pages_before, _, _ = _counts(database)
    _write_leads(client, 5)

    services.runner.catch_up()  # the ten new events and their postback records: one page

    pages, links, events = _counts(database)
    assert pages == pages_before + 1
    assert links == events
    report = verify_chain(database.conninfo())
    assert report.intact and report.links_checked == events and report.not_yet_chained == 0


def test_a_link_altered_in_a_page_row_is_found_at_its_position(paused_projections, database):
    client, services = paused_projections
    _write_leads(client, 3)
    services.runner.catch_up()
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        page, positions = connection.execute(
            "SELECT position, positions FROM audit_chain_pages ORDER BY position DESC LIMIT 1"
        ).fetchone()
        third = 2 * 32  # the third link of the page's hashes
        connection.execute(
            "UPDATE audit_chain_pages SET hashes = overlay(hashes PLACING %s FROM %s) "
            "WHERE position = %s",
            (bytes(32), third + 1, page),
        )

    report = verify_chain(database.conninfo())

    assert report.broken is not None
    assert report.broken.position == positions[2]
    assert "altered" in report.broken.problem


def test_the_per_event_chain_of_an_older_version_is_converted_and_continued(
    paused_projections, database, settings
):
    client, services = paused_projections
    _write_leads(client, 4)
    services.runner.catch_up()
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        # The table as versions before issue 27 kept it: one row per event.
        connection.execute(
            "CREATE TABLE audit_chain AS SELECT unnest(positions) AS position, "
            "substring(hashes FROM (generate_subscripts(positions, 1) - 1) * 32 + 1 FOR 32) "
            "AS hash FROM audit_chain_pages"
        )
        connection.execute("ALTER TABLE audit_chain ADD PRIMARY KEY (position)")
        connection.execute("DROP TABLE audit_chain_pages")

    opened = Services.open(replace(settings, run_projections=False), database)
    opened.start()  # opening a service converts it
    opened.close()

    with psycopg.connect(database.conninfo()) as connection:
        assert connection.execute("SELECT to_regclass('audit_chain')").fetchone()[0] is None
    _, links, events = _counts(database)
    assert links == events
    assert verify_chain(database.conninfo()).intact
    _write_leads(client, 2)
    services.runner.catch_up()  # and the chain goes on from the converted head
    report = verify_chain(database.conninfo())
    assert report.intact and report.not_yet_chained == 0
    assert report.links_checked == _counts(database)[2]
