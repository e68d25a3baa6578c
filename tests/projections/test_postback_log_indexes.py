"""The postback log stays quick to page and filter when it holds millions of postbacks.

Support staff open the log newest first and look postbacks up by lead or by the postback they
re-submit; each of those must be an index scan, not a sort or a scan of the whole log.
"""

from __future__ import annotations

import uuid

import psycopg
import pytest

from tests.controls import ADMIN, create, new_click, postbacks

_FILL = """
INSERT INTO postback_log (id, position, received_at, endpoint, method, source_ip, request_id,
    outcome, http_status, lead_id, resubmit_of, params)
SELECT gen_random_uuid(), n, now() - n * interval '1 second', 'status', 'GET', '127.0.0.1',
    'r' || n, 'changed', 200, gen_random_uuid(),
    CASE WHEN n % 1000 = 0 THEN gen_random_uuid() END, '{}'::jsonb
FROM generate_series(1000000, 1060000) AS n
"""


@pytest.fixture
def busy_log(demo, services, database) -> psycopg.Connection:
    """The service's log with 60,000 postbacks more, statistics up to date."""
    services.runner.catch_up()
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        connection.execute(_FILL)
        connection.execute("ANALYZE postback_log")
        yield connection


def _plan(connection: psycopg.Connection, statement: str, *params) -> str:
    rows = connection.execute(f"EXPLAIN {statement}", params).fetchall()
    return "\n".join(row[0] for row in rows)


def test_the_newest_page_of_the_log_is_read_from_the_position_index(busy_log):
    plan = _plan(busy_log, "SELECT * FROM postback_log ORDER BY position DESC LIMIT 101")

    assert "Index Scan Backward using postback_log_position" in plan
    assert "Sort" not in plan


@pytest.mark.parametrize(
    ("column", "index"),
    [("lead_id", "postback_log_lead_id"), ("resubmit_of", "postback_log_resubmit_of")],
    ids=["a lead's postbacks", "re-submissions of a postback"],
)
def test_postbacks_named_by_a_lead_or_an_original_are_found_through_an_index(
    busy_log, column, index
):
    plan = _plan(
        busy_log,
        f"SELECT * FROM postback_log WHERE {column} = %s ORDER BY position DESC LIMIT 101",
        uuid.uuid4(),
    )

    assert index in plan


def test_the_lead_filter_accepts_the_id_in_capitals(demo, services):
    created = create(demo, click=new_click(demo)).json()
    services.runner.catch_up()

    found = postbacks(demo, lead=created["id"].upper())

    assert [p["lead_id"] for p in found] == [created["id"]]


def test_a_lead_filter_that_is_no_uuid_is_a_bad_request(demo):
    response = demo.get("/api/postbacks", params={"lead": "not-a-uuid"}, headers=ADMIN)

    assert response.status_code == 400
    assert "lead must be a uuid" in response.text


def test_an_empty_lead_filter_filters_nothing_like_the_other_filters(demo, services):
    create(demo, click=new_click(demo))
    services.runner.catch_up()

    response = demo.get("/api/postbacks", params={"lead": "", "click": ""}, headers=ADMIN)

    assert response.status_code == 200
    assert len(response.json()["items"]) == 1
