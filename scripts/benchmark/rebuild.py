"""Rebuild speed: every projection rebuilt from N events, with the rebuild's peak memory.

The store is first grown to N events by copying whole aggregates that the load produced (every
event of an aggregate, in their original order, under a new aggregate id), so the rebuild reads
the same mix of events that real postbacks make. The rebuild itself runs in a child process:
`postback-ledger projections rebuild all` when the command exists, otherwise a replay of the
notification log through `ProjectionRunner.catch_up()` into fresh tables (`benchmark.replay`).
"""

from __future__ import annotations

import os
import subprocess
import time

import psycopg

from app.database import DatabaseAddress
from domain.catalog import Catalog

from .environment import ROOT

_COPY = """
INSERT INTO ledger_events (originator_id, originator_version, topic, state)
SELECT copies.new_id, e.originator_version, e.topic, e.state
FROM ledger_events e
JOIN (SELECT originator_id, gen_random_uuid() AS new_id FROM ledger_events
      WHERE originator_version = 1 AND originator_id <> %s
      ORDER BY notification_id LIMIT %s) AS copies USING (originator_id)
ORDER BY e.notification_id
"""


def count_events(address: DatabaseAddress) -> int:
    with psycopg.connect(address.conninfo()) as connection:
        return connection.execute("SELECT count(*) FROM ledger_events").fetchone()[0]


def grow_to(address: DatabaseAddress, events: int) -> int:
    """Copy aggregates until the store holds at least `events` events; returns the count."""
    count = count_events(address)
    with psycopg.connect(address.conninfo()) as connection:
        while count < events:
            aggregates = connection.execute(
                "SELECT count(*) FROM ledger_events WHERE originator_version = 1"
            ).fetchone()[0]
            wanted = max(1, int(aggregates * (events - count) / count) + 1)
            with connection.transaction():
                # The same lock every append takes: the copies get gap-free positions.
                connection.execute("LOCK TABLE ledger_events IN EXCLUSIVE MODE")
                connection.execute(_COPY, (Catalog.create_id(), wanted))
            count = count_events(address)
    return count


def rebuild_command() -> list[str]:
    cli = str(ROOT / ".venv/bin/postback-ledger")
    probe = subprocess.run([cli, "projections", "rebuild", "--help"], capture_output=True)
    if probe.returncode == 0:
        return [cli, "projections", "rebuild", "all"]
    return [str(ROOT / ".venv/bin/python"), "-m", "benchmark.replay"]


def measure(address: DatabaseAddress, events: int) -> dict:
    command = rebuild_command()
    env = {**os.environ, "DATABASE_URL": address.url(), "LEDGER_LOG_LEVEL": "WARNING"}
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT / "scripts"), env.get("PYTHONPATH")])
    )
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    output = process.stdout.read() if process.stdout else ""
    if status != 0:
        raise RuntimeError(f"rebuild failed ({status}): {' '.join(command)}\n{output}")
    return {
        "command": " ".join(command[-4:]),
        "events": events,
        "seconds": round(seconds, 2),
        "events_per_second": round(events / seconds, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }
