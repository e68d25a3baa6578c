"""Rebuild speed: every projection rebuilt from N events, with the rebuild's peak memory.

The store is first grown to N events by copying the log that the load produced, in position
order, under new aggregate ids (each copied aggregate keeps a prefix of its own history, so it
replays as a valid aggregate), so the rebuild reads the mix of events that real postbacks make.
The rebuild itself runs in a child process: `postback-ledger projections rebuild all` when the
command exists, otherwise a replay of the notification log through `ProjectionRunner.catch_up()`
into fresh tables (`benchmark.replay`).
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path

import psycopg

from app.eventstore.database import DatabaseAddress
from domain.catalog import Catalog

from .environment import NOT_READ_MODELS, ROOT, events_behind

# A prefix of the log in position order, under new aggregate ids (md5 of the old id and a salt):
# every copied aggregate gets a prefix of its own history, so it replays as a valid aggregate.
_COPY = """
INSERT INTO ledger_events (originator_id, originator_version, topic, state)
SELECT md5(originator_id::text || %(salt)s)::uuid, originator_version, topic, state
FROM ledger_events
WHERE originator_id <> %(catalog)s AND notification_id <= %(last)s
ORDER BY notification_id
LIMIT %(count)s
"""


def count_events(address: DatabaseAddress) -> int:
    with psycopg.connect(address.conninfo()) as connection:
        return connection.execute("SELECT count(*) FROM ledger_events").fetchone()[0]


def grow_to(address: DatabaseAddress, events: int) -> int:
    """Copy aggregates until the store holds at least `events` events; returns the count."""
    count = count_events(address)
    with psycopg.connect(address.conninfo()) as connection:
        for round_number in range(1, 64):
            if count >= events:
                break
            with connection.transaction():
                # The same lock every append takes: the copies get gap-free positions.
                connection.execute("LOCK TABLE ledger_events IN EXCLUSIVE MODE")
                last = connection.execute("SELECT max(notification_id) FROM ledger_events")
                connection.execute(
                    _COPY,
                    {
                        "salt": f"copy-{round_number}-{uuid.uuid4().hex}",
                        "catalog": Catalog.create_id(),
                        "last": last.fetchone()[0],
                        "count": events - count,
                    },
                )
            count = count_events(address)
    return count


def catch_up_live(
    address: DatabaseAddress, code: Path | None = None, timeout: float = 1800.0
) -> dict:
    """Let the live read models take in the copied events first, as a running service would
    have: otherwise the rebuild would also bring them up to date before it switches, and its
    time would include a catch-up that a rebuild in service never does. `code`: as `measure`'s."""
    cli = str(ROOT / ".venv/bin/postback-ledger")
    env = _environment(address, code)
    with psycopg.connect(address.conninfo(), autocommit=True) as connection:
        backlog = events_behind(connection, NOT_READ_MODELS)
        started = time.monotonic()
        runner = subprocess.Popen([cli, "projections", "run"], env=env, cwd=ROOT)
        try:
            while events_behind(connection, NOT_READ_MODELS) > 0:
                if time.monotonic() - started > timeout or runner.poll() is not None:
                    raise RuntimeError("the live projections did not catch up")
                time.sleep(0.5)
        finally:
            runner.terminate()
            runner.wait(30)
    seconds = time.monotonic() - started
    return {
        "events": backlog,
        "seconds": round(seconds, 1),
        "events_per_second": round(backlog / seconds, 1),
    }


def grow_and_measure(
    address: DatabaseAddress, events: int, code: Path | None = None, ref: str | None = None
) -> tuple[dict, dict]:
    """The store grown to `events`, the live read models caught up with it, then the rebuild
    measured: the catch-up's figures and the rebuild's. `code`, `ref`: the A of an A/B."""
    of = f" (the code at {ref}, A/B)" if ref else ""
    print(f"growing the store to {events:,} events{of} ...", flush=True)
    count = grow_to(address, events)
    print(f"live read models taking in the copied events{of} ...", flush=True)
    live = catch_up_live(address, code)
    print(f"rebuilding{of} ...", flush=True)
    return live, measure(address, count, code)


def rebuild_command() -> list[str]:
    cli = str(ROOT / ".venv/bin/postback-ledger")
    probe = subprocess.run([cli, "projections", "rebuild", "--help"], capture_output=True)
    if probe.returncode == 0:
        return [cli, "projections", "rebuild", "all"]
    return [str(ROOT / ".venv/bin/python"), "-m", "benchmark.replay"]


def measure(address: DatabaseAddress, events: int, code: Path | None = None) -> dict:
    """`code`: a folder of app, domain, projections to rebuild with instead of this checkout's
    (the A of an A/B, `benchmark.ab`)."""
    command = rebuild_command()
    started = time.monotonic()
    process = subprocess.Popen(
        command, env=_environment(address, code), cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
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


def _environment(address: DatabaseAddress, code: Path | None) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": address.url(), "LEDGER_LOG_LEVEL": "WARNING"}
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(code) if code else None, str(ROOT / "scripts"), env.get("PYTHONPATH")])
    )
    return env
