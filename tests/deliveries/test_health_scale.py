"""The support page's per-URL health costs the page, not the queue: each URL's waiting count and
last error are an index walk of that URL's own rows, on a queue with statistics.

Before, each URL's last error scanned and sorted every failed attempt of every URL (a Seq Scan on
`delivery_attempts` per URL: 2.4 s for 50 URLs over 200,000 deliveries)."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg.rows import dict_row

from projections.deliveries import schema
from projections.deliveries.health import _HEALTH, url_health
from tests.plans import plan_nodes

TARGETS = 50
DELIVERIES = 20_000
_TARGET = "('00000000-0000-0000-0000-' || lpad(({}) :: text, 12, '0'))::uuid"

# Every URL has deliveries, most delivered at once; 1 in 20 failed first (`retry`), 1 in 101
# failed for good, a few wait. URL 1 is suspended with a backlog.
_FILL = f"""
INSERT INTO delivery_targets (id, url, suspended_at)
SELECT {_TARGET.format("t")}, 'http://t' || t || '.example/pb', CASE WHEN t = 1 THEN now() END
FROM generate_series(1, {TARGETS}) t;
INSERT INTO deliveries (id, lead, webmaster, event, position, event_at, target, url, method,
    body, host, state, attempts, next_attempt_at, queued_at)
SELECT gen_random_uuid(), gen_random_uuid(), 'wm-' || (n % {TARGETS} + 1), 'created', n, now(),
    {_TARGET.format(f"n % {TARGETS} + 1")}, 'http://t.example/pb', 'GET', '', 't.example',
    CASE WHEN n % {TARGETS} = 0 AND n > {DELIVERIES // 2} OR n % 997 = 0 THEN 'pending'
         WHEN n % 101 = 0 THEN 'failed' ELSE 'delivered' END,
    1, now(), now() - ({DELIVERIES} - n) * interval '1 second'
FROM generate_series(1, {DELIVERIES}) n;
INSERT INTO delivery_attempts (delivery, target, attempt, at, url, method, http_status,
    duration_ms, outcome)
SELECT id, target, 1, queued_at, url, 'GET', CASE state WHEN 'delivered' THEN 200 ELSE 503 END,
    5, CASE state WHEN 'delivered' THEN 'delivered' WHEN 'failed' THEN 'failed' ELSE 'retry' END
FROM deliveries;
INSERT INTO delivery_attempts (delivery, target, attempt, at, url, method, http_status, error,
    duration_ms, outcome)
SELECT id, target, 0, queued_at - interval '1 ms', url, 'GET', 500, 'boom', 5, 'retry'
FROM deliveries WHERE position % 20 = 0;
"""


@pytest.fixture
def busy_queue(database):
    with psycopg.connect(database.conninfo(), autocommit=True, row_factory=dict_row) as connection:
        schema.create_tables(connection.cursor())
        connection.execute(_FILL)
        connection.execute("VACUUM ANALYZE")
        yield connection


def _targets(connection) -> list[uuid.UUID]:
    return [r["id"] for r in connection.execute("SELECT id FROM delivery_targets ORDER BY id")]


def _read(nodes: list[dict], relation: str) -> int:
    """Rows a plan's scans of `relation` read, those its filters dropped included."""
    return sum(
        (n["Actual Rows"] + n.get("Rows Removed by Filter", 0)) * n["Actual Loops"]
        for n in nodes
        if n["Relation Name"] == relation
    )


def test_a_page_of_urls_reads_each_urls_last_error_and_waiting_through_its_own_index(busy_queue):
    explained = busy_queue.execute(
        "EXPLAIN (ANALYZE, FORMAT JSON) " + _HEALTH, (_targets(busy_queue),)
    ).fetchone()
    plan = next(iter(explained.values()))[0]["Plan"]
    waiting = busy_queue.execute("SELECT count(*) AS n FROM deliveries WHERE state = 'pending'")

    tables = ("deliveries", "delivery_attempts")
    scans = [n for n in plan_nodes(plan) if n.get("Relation Name") in tables]
    assert {n["Node Type"] for n in scans} <= {"Index Scan", "Index Only Scan"}, scans
    assert _read(scans, "delivery_attempts") <= TARGETS  # each URL's newest failed attempt
    # each waiting delivery counted once, and the delivery of each URL's last error
    assert _read(scans, "deliveries") <= waiting.fetchone()["n"] + TARGETS
    assert not [n for n in plan_nodes(plan) if n["Node Type"] == "Sort"]


def test_each_url_shows_its_newest_failed_attempt_and_what_waits(busy_queue):
    health = url_health(busy_queue.cursor(), _targets(busy_queue))

    expected = busy_queue.execute(
        "SELECT DISTINCT ON (a.target) a.target, a.delivery, a.at, d.state FROM delivery_attempts a"
        " JOIN deliveries d ON d.id = a.delivery WHERE a.outcome IN ('retry', 'failed')"
        " ORDER BY a.target, a.at DESC"
    ).fetchall()
    waiting = busy_queue.execute(
        "SELECT target, count(*) FROM deliveries WHERE state = 'pending' GROUP BY target"
    ).fetchall()
    assert {t: (h["error_delivery"], h["error_at"], h["error_delivery_state"])
            for t, h in health.items()} == {
        e["target"]: (e["delivery"], e["at"], e["state"]) for e in expected
    }  # fmt: skip
    assert {t: h["waiting"] for t, h in health.items() if h["waiting"]} == {
        w["target"]: w["count"] for w in waiting
    }


def test_attempts_stored_before_they_carried_their_target_get_it_once_at_start(database):
    with psycopg.connect(database.conninfo(), autocommit=True, row_factory=dict_row) as connection:
        schema.create_tables(connection.cursor())
        connection.execute(_FILL)
        connection.execute("DROP INDEX delivery_attempts_failed")
        connection.execute("ALTER TABLE delivery_attempts DROP COLUMN target")  # as made before

        schema.create_tables(connection.cursor())

        wrong = connection.execute(
            "SELECT count(*) AS n FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery"
            " WHERE a.target IS DISTINCT FROM d.target"
        ).fetchone()
        assert wrong["n"] == 0
        health = url_health(connection.cursor(), _targets(connection))
        assert all(h["error_delivery"] is not None for h in health.values())
