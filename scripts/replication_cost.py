"""What a synchronous standby costs the append rate: pgbench on a primary, standby sync or not.

    .venv/bin/python scripts/replication_cost.py [--clients 64] [--seconds 10]

One primary and one streaming standby on this machine (`tests/replication_controls.py`, fsync
on), then eventsourcing's append pattern (LOCK TABLE ... EXCLUSIVE, NOTIFY, INSERT, COMMIT) and a
plain single-row INSERT under pgbench (`scripts/benchmark/baseline.py`), for each of
`synchronous_commit` = local (the standby streams, nobody waits), on (waits for the standby's
flush) and remote_apply (waits for its replay). Figures for docs/scaling.md, not a test.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import psycopg  # noqa: E402
from benchmark.baseline import measure  # noqa: E402

from tests.replication_controls import ReplicatedPostgres  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    cluster = ReplicatedPostgres(synchronous=True, fsync=True)
    try:
        primary = cluster.single(cluster.primary_dir)
        for mode in ("local", "on", "remote_apply"):
            with psycopg.connect(primary.conninfo(), autocommit=True) as connection:
                connection.execute(f"ALTER SYSTEM SET synchronous_commit = '{mode}'")
                connection.execute("SELECT pg_reload_conf()")
            figures = measure(primary, args.clients, args.seconds)
            print(json.dumps({"synchronous_commit": mode, "clients": args.clients, **figures}))
    finally:
        cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
