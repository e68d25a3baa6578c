"""What a failover loses: the primary killed under load, its standby promoted, acks counted.

    .venv/bin/python scripts/failover_loss.py --async   # asynchronous standby: what can be lost
    .venv/bin/python scripts/failover_loss.py           # synchronous standby: expect 0

The scenario of `tests/faults/test_failover.py` (a primary and a standby from the embedded
wheel's binaries, `serve` with both hosts in DATABASE_URL, senders posting, kill -9 of the
primary's postmaster, `pg_ctl promote`), run a given number of times, printing per run how many
acknowledged postbacks the new primary does not hold, and how many of the webmaster postbacks the
tracker heard were for events the new primary does not hold. A figure for docs/operations.md,
not an assertion: with asynchronous replication the loss depends on how far the standby was
behind at the kill, which depends on the load and the machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import psycopg  # noqa: E402

from tests.delivery_controls import postbacks_toml, receiving  # noqa: E402
from tests.fault_controls import (  # noqa: E402
    Senders,
    acknowledged,
    creation_then_approval,
    stored_events,
    stored_request_ids,
    wait_until,
)
from tests.replication_controls import ReplicatedPostgres  # noqa: E402
from tests.servers import running_server  # noqa: E402

ENV = {"LEDGER_DELIVERY_ALLOW": "127.0.0.0/8", "LEDGER_DELIVERY_RETRY_BASE": "0.05"}


def one_run(synchronous: bool, senders: int, acks_before_kill: int) -> dict:
    cluster = ReplicatedPostgres(synchronous=synchronous)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="plf-") as folder,
            receiving((200, {})) as tracker,
            running_server(cluster.address, Path(folder) / "srv", env=ENV) as server,
        ):
            toml = postbacks_toml(tracker.url("/pb?exto={exto}"))
            httpx.post(
                f"{server.base_url}/api/admin/catalog", content=toml, headers=server.admin_headers
            ).raise_for_status()
            load = Senders(server.base_url, creation_then_approval, count=senders).start()
            wait_until(lambda: len(acknowledged(load.answers)) >= acks_before_kill, 120, 0.01)
            cluster.kill_primary()
            killed_at = time.monotonic()
            cluster.promote()
            wait_until(lambda: _ok_since(load, killed_at), 120)
            serving_again_s = time.monotonic() - killed_at
            answers = load.stop()
            heard = {r.headers.get("idempotency-key") for r in tracker.received}
        new_primary = cluster.single(cluster.standby_dir)
        stored = set(stored_request_ids(stored_events(new_primary)))
        with psycopg.connect(new_primary.conninfo(), autocommit=True) as connection:
            kept = {str(row[0]) for row in connection.execute("SELECT id FROM deliveries")}
        acked = acknowledged(answers)
        return {
            "replication": "synchronous" if synchronous else "asynchronous",
            "senders": senders,
            "acknowledged": len(acked),
            "acknowledged_lost": len(acked - stored),
            "tracker_told_of_lost_events": len(heard - kept),
            "serving_again_after_kill_s": round(serving_again_s, 2),
        }
    finally:
        cluster.close()


def _ok_since(senders: Senders, moment: float) -> bool:
    return any(a.status == 200 and a.sent_at >= moment for a in list(senders.answers))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--async", dest="asynchronous", action="store_true")
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--acks-before-kill", type=int, default=300)
    args = parser.parse_args()
    for _ in range(args.runs):
        figures = one_run(not args.asynchronous, args.senders, args.acks_before_kill)
        print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
