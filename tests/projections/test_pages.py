"""Read-model rows do not depend on how events fall into pages, nor on how a page is written."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from app.services import build_projections
from projections.eventlog.reading import LogReader
from projections.lead_view import projection as lead_view
from projections.lead_view.projection import LeadViewProjection
from projections.postback_log import projection as postback_log
from projections.postback_log.projection import PostbackLogProjection
from projections.runner import ProjectionRunner
from tests.controls import change, create, new_click


def _rows(connection: psycopg.Connection, table: str, key: str) -> list[dict]:
    statement = sql.SQL("SELECT * FROM {} ORDER BY {}").format(
        sql.Identifier(table), sql.Identifier(key)
    )
    return connection.execute(statement).fetchall()


@pytest.mark.parametrize("unnest_limit", [200, 0], ids=["arrays", "staging table"])
def test_a_page_that_creates_one_lead_and_changes_another_yields_the_live_rows(
    demo, services, database, monkeypatch, unnest_limit
):
    monkeypatch.setattr(lead_view, "_UNNEST_LIMIT", unnest_limit)
    earlier = new_click(demo)
    create(demo, click=earlier)
    events = LogReader(services.ledger).read(start=0, limit=1000)
    first_page = len(events)
    later_click = new_click(demo)
    create(demo, click=later_click, pay="21.50")
    change(demo, click=later_click, status="hold")
    change(demo, click=earlier, status="approve")
    services.runner.catch_up()
    events = LogReader(services.ledger).read(start=0, limit=1000)
    projection = LeadViewProjection(services.catalog.current, table="lead_view_paged")

    with psycopg.connect(database.conninfo(), row_factory=dict_row) as connection:
        with connection.transaction():
            cursor = connection.cursor()
            projection.create_tables(cursor)
            projection.process(cursor, events[:first_page])
            projection.process(cursor, events[first_page:])
        paged = _rows(connection, "lead_view_paged", "id")
        live = _rows(connection, "lead_view", "id")

    assert [row["status"] for row in paged] and paged == live
    assert {row["status"] for row in paged} == {"approve", "hold"}


def test_a_postback_log_row_written_by_copy_equals_the_row_an_insert_wrote(
    demo, services, database
):
    click = new_click(demo)
    create(demo, click=click, sub1="a", exto="x-1")
    change(demo, click=click, status="approve", token="7-wrong")  # rejected: NULL lead
    change(demo, click="no-such-click", status="hold")
    events = LogReader(services.ledger).read(start=0, limit=1000)
    copied = PostbackLogProjection(table="postback_log_copied")
    inserted = PostbackLogProjection(table="postback_log_inserted")
    rows = [
        postback_log._row(i, e) for i, e in events if isinstance(e, postback_log.Postback.Received)
    ]

    with psycopg.connect(database.conninfo(), row_factory=dict_row) as connection:
        with connection.transaction():
            cursor = connection.cursor()
            copied.create_tables(cursor)
            inserted.create_tables(cursor)
            copied.process(cursor, events)
            columns = sql.SQL(", ").join(map(sql.Identifier, postback_log._COLUMNS))
            cursor.executemany(
                sql.SQL("INSERT INTO postback_log_inserted ({}) VALUES ({})").format(
                    columns, sql.SQL(", ").join(sql.Placeholder() * len(postback_log._COLUMNS))
                ),
                rows,
            )
        by_copy = _rows(connection, "postback_log_copied", "position")
        by_insert = _rows(connection, "postback_log_inserted", "position")

    assert len(by_copy) == 3 and by_copy == by_insert
    assert any(row["lead_id"] is None and row["error"] for row in by_copy)
    assert by_copy[0]["params"]["sub1"] == ["a"]


def test_two_runners_taking_turns_apply_every_event_once(paused_projections, database):
    client, services = paused_projections
    clicks = [new_click(client) for _ in range(3)]
    for click in clicks:
        create(client, click=click)
        change(client, click=click, status="hold")
    runners = [
        ProjectionRunner(services.ledger, database, build_projections(services.catalog), 3)
        for _ in range(2)
    ]

    for _ in range(3):  # each runner's known positions go stale while the other one writes
        for runner in runners:
            runner.run_once()
    for runner in runners:
        runner.catch_up()

    with psycopg.connect(database.conninfo()) as connection:
        logged = connection.execute("SELECT count(*) FROM postback_log").fetchone()[0]
        statuses = connection.execute("SELECT status FROM lead_view").fetchall()
    assert logged == 6
    assert statuses == [("hold",)] * 3
