"""Rebuild benchmark: `postback-ledger projections rebuild all` over a store of N events.

The store is made realistic first: real postbacks through the write path (creations, holds,
approvals, cancellations, goal changes, per-lead payouts), each leaving its lead events and its
postback record. It is then grown to N events by copying whole aggregates under new ids, in
their original order, under the same table lock appends take. The rebuild runs as the real
command in a child process; the figures are printed at the end. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.database import DatabaseAddress, embedded_address, start_embedded  # noqa: E402
from app.postback_processing import CREATION, STATUS_CHANGE, PostbackRequest  # noqa: E402
from app.services import Services  # noqa: E402
from app.settings import Settings  # noqa: E402
from domain.catalog import Catalog  # noqa: E402
from domain.catalog_document import parse_catalog  # noqa: E402

_SEED_LEADS = 5000
_COPY = """
INSERT INTO ledger_events (originator_id, originator_version, topic, state)
SELECT copies.new_id, e.originator_version, e.topic, e.state
FROM ledger_events e
JOIN (SELECT originator_id, gen_random_uuid() AS new_id FROM ledger_events
      WHERE originator_version = 1 AND originator_id <> %s
      ORDER BY notification_id LIMIT %s) AS copies USING (originator_id)
ORDER BY e.notification_id
"""


def _postback(endpoint: str, n: int, **params: str) -> PostbackRequest:
    params = {"token": "7-s3cr3t", "flow": "101" if n % 4 else "102", "exto": f"b{n}", **params}
    raw = {name: [value] for name, value in params.items()}
    return PostbackRequest(endpoint, "GET", params, raw, "127.0.0.1", "bench")


def _lifecycle(n: int) -> list[PostbackRequest]:
    """A lead's postbacks: most are held then approved; some cancelled, repriced or upgraded."""
    steps = [_postback(CREATION, n, **({"pay": "18.00"} if n % 7 == 0 else {}))]
    steps.append(_postback(STATUS_CHANGE, n, status="hold"))
    if n % 5 == 0:
        steps.append(_postback(STATUS_CHANGE, n, status="approve", goal="dep"))
    else:
        steps.append(_postback(STATUS_CHANGE, n, status="cancel" if n % 3 == 0 else "approve"))
    return steps


def seed(services: Services) -> None:
    catalog = parse_catalog((ROOT / "scripts" / "demo-catalog.toml").read_bytes())
    services.ledger.apply_catalog(catalog, datetime.now(UTC))
    for step in range(3):
        requests = [r for n in range(_SEED_LEADS) for r in _lifecycle(n)[step : step + 1]]
        for start in range(0, len(requests), 500):
            services.processor.process(requests[start : start + 500])


def count_events(connection: psycopg.Connection) -> int:
    return connection.execute("SELECT count(*) FROM ledger_events").fetchone()[0]


def grow_to(address: DatabaseAddress, events: int) -> int:
    """Copy aggregates until the store holds at least `events` events."""
    with psycopg.connect(address.conninfo()) as connection:
        count = count_events(connection)
        while count < events:
            aggregates = connection.execute(
                "SELECT count(*) FROM ledger_events WHERE originator_version = 1"
            ).fetchone()[0]
            wanted = max(1, int(aggregates * (events - count) / count) + 1)
            with connection.transaction():
                connection.execute("LOCK TABLE ledger_events IN EXCLUSIVE MODE")
                connection.execute(_COPY, (Catalog.create_id(), wanted))
            count = count_events(connection)
            print(f"  store: {count:,} events", flush=True)
    return count


@contextmanager
def fresh_database(url: str | None) -> Iterator[DatabaseAddress]:
    """A new database on DATABASE_URL's server, or on an embedded one; removed afterwards."""
    folder = None if url else Path(tempfile.mkdtemp(prefix="bench-", dir="/tmp"))
    server = None if folder is None else start_embedded(folder)
    server_address = DatabaseAddress.from_url(url) if url else embedded_address(server)
    name = f"bench_rebuild_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_address.conninfo(), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server_address.with_dbname(name)
    finally:
        with psycopg.connect(server_address.conninfo(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if server is not None:
            server.cleanup()
            shutil.rmtree(folder, ignore_errors=True)


def catch_up_live_projections(address: DatabaseAddress, events: int) -> None:
    """A running server keeps the live projections current; the rebuild replays beside them."""
    services = Services.open(Settings(data_dir=Path(tempfile.mkdtemp()), pool_size=2), address)
    started = time.monotonic()
    try:
        services.runner.catch_up()
    finally:
        services.ledger.close()
    seconds = time.monotonic() - started
    print(f"live projections caught up in {seconds:.1f} s ({events / seconds:,.0f} events/s)")


def time_the_rebuild(address: DatabaseAddress, events: int) -> None:
    env = {**os.environ, "DATABASE_URL": address.url(), "LEDGER_LOG_LEVEL": "WARNING"}
    command = [str(ROOT / ".venv" / "bin" / "postback-ledger"), "projections", "rebuild", "all"]
    print(f"running: {' '.join(command[-4:])} over {events:,} events", flush=True)
    started = time.monotonic()
    subprocess.run(command, env=env, check=True)
    seconds = time.monotonic() - started
    print(
        f"\nrebuilt lead view and commission ledger from {events:,} stored events in "
        f"{seconds:.1f} s: {events / seconds:,.0f} stored events/s (command included)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="store size (1,000,000)")
    args = parser.parse_args()
    with fresh_database(os.environ.get("DATABASE_URL")) as address:
        print(f"database {address.dbname}; seeding {_SEED_LEADS:,} leads through the write path")
        services = Services.open(Settings(data_dir=Path(tempfile.mkdtemp()), pool_size=2), address)
        try:
            seed(services)
        finally:
            services.ledger.close()
        events = grow_to(address, args.events)
        catch_up_live_projections(address, events)
        time_the_rebuild(address, events)
    return 0


if __name__ == "__main__":
    sys.exit(main())
