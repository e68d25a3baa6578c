"""The sender alone, lever by lever, in one run: deliveries/s and CPU ms per delivery.

Each variant sends the same number of queued deliveries (one per lead, as under load) to the
bench's loopback receiver, with a fresh sender in this process; the variants take turns, twice,
so a neighbour's load on the shared machine falls on each of them. CPU is this process's
(`time.process_time`: the sender's threads, its client and its database driver); the receiver
and PostgreSQL run elsewhere. What the full `--deliveries` run cannot tell apart (the notifier
queuing, the load, PostgreSQL) is left out, so a lever of the sender shows through.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg

from app.deliveries.client import DeliveryClient
from app.deliveries.sender import Sender
from app.deliveries.settings import DeliverySettings
from app.eventstore.application import LedgerApplication
from app.eventstore.database import DatabaseAddress
from projections.deliveries import queue, schema

from . import ab, deliveries
from .environment import ROOT, Database

SETTINGS = DeliverySettings(allow=deliveries.ALLOW, retry_base=1.0, per_host=128)


@dataclasses.dataclass(frozen=True)
class Variant:
    """One way of sending: its client, sender, settings and claim."""

    name: str
    client: Callable[[DeliverySettings], object] = DeliveryClient
    sender: type[Sender] = Sender
    settings: DeliverySettings = SETTINGS
    coalesce: float | None = None  # the sender's wait for answers to share a record
    claim_in_due_order: bool = True  # False: the claim planned from estimates, as before


KEPT = Variant("kept: aiohttp on one loop thread, keep-alive, claim in due order, 128 in flight")


def variants() -> list[Variant]:
    return [
        KEPT,
        Variant("claim planned from estimates (before)", claim_in_due_order=False),
        Variant("no keep-alive", lambda s: DeliveryClient(s, keep_alive=False)),
        Variant("32 in flight", settings=_in_flight(32)),
        Variant("64 in flight", settings=_in_flight(64)),
        Variant("256 in flight", settings=_in_flight(256)),
    ]


def _in_flight(requests: int) -> DeliverySettings:
    return dataclasses.replace(SETTINGS, concurrency=requests, per_host=requests)


def measure(
    database: Database, count: int, ref: str | None = None, ref_database: Database | None = None,
    rounds: int = 2,
) -> dict:  # fmt: skip
    """Per variant (and the sender at git `ref`, in a process of its own, on `ref_database`: the
    A's own, `ab.database`): deliveries/s and CPU ms per delivery of each round, and the best of
    the rounds."""
    app = _prepared(database.address)
    receiver = deliveries.Receiver()
    found: dict[str, dict] = {}
    try:
        for _ in range(rounds):
            for variant in variants():
                print(f"  sender lever: {variant.name} ...", flush=True)
                result = _one(app, database.address, variant, receiver.port, count)
                _add(found, variant.name, result)
            if ref:
                print(f"  sender lever: the sender at {ref} ...", flush=True)
                at_ref = _at_ref(ref, ref_database or database, receiver.port, count)
                _add(found, f"the sender at {ref}", at_ref)
    finally:
        receiver.stop()
        app.close()
    for figures in found.values():
        figures["per_second"] = max(r["per_second"] for r in figures["runs"])
        figures["cpu_ms_per_delivery"] = min(r["cpu_ms_per_delivery"] for r in figures["runs"])
    return found


def _prepared(address: DatabaseAddress) -> LedgerApplication:
    """An application on `address` whose deliveries table (of this process's code) has nothing
    left pending."""
    app = LedgerApplication(env=address.eventsourcing_env(4))
    with app.recorder.datastore.transaction(commit=True) as cursor:
        schema.create_tables(cursor)
        # What earlier runs of this bench left waiting (retries to receivers now gone) would be
        # claimed here too: only each variant's own deliveries are sent.
        cursor.execute("UPDATE deliveries SET state = 'cancelled' WHERE state = 'pending'")
    return app


def _add(found: dict, name: str, result: dict) -> None:
    found.setdefault(name, {"runs": []})["runs"].append(result)


def _at_ref(ref: str, database: Database, port: int, count: int) -> dict:
    with ab.checkout(ref) as code:
        env = {**os.environ, **ab.environment(code)}
        env["PYTHONPATH"] += os.pathsep + str(ROOT / "scripts")
        done = subprocess.run(
            [sys.executable, "-m", "benchmark.sender_levers", database.address.url(), str(port),
             str(count)],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def _one(app, address: DatabaseAddress, variant: Variant, port: int, count: int) -> dict:
    target = uuid.uuid4()
    url = f"http://127.0.0.1:{port}/pb?d={{id}}"
    now = datetime.now(UTC)
    rows = []
    for n in range(count):
        delivery = uuid.uuid4()
        rows.append(queue.Queued(
            delivery, uuid.uuid4(), "wm-1", "created", n, now, target,
            url.format(id=delivery), "GET", b"", None, None, "127.0.0.1",
        ))  # fmt: skip
    with app.recorder.datastore.transaction(commit=True) as cursor:
        queue.queue(cursor, rows, {target: url})
    client = variant.client(variant.settings)
    wake = threading.Event()
    sender = variant.sender(app, variant.settings, client, lambda: True, wake)
    if variant.coalesce is not None:
        sender.coalesce = variant.coalesce
    in_due_order = getattr(queue, "_IN_DUE_ORDER", None)
    if not variant.claim_in_due_order:
        queue._IN_DUE_ORDER = ("SELECT 1",)
    try:
        cpu, started = time.process_time(), time.monotonic()
        sender.start()
        wake.set()
        while _pending(address, target) and time.monotonic() - started < 120:
            time.sleep(0.05)
        seconds, cpu = time.monotonic() - started, time.process_time() - cpu
        sender.stop()
    finally:
        queue._IN_DUE_ORDER = in_due_order
        client.close()
    return {
        "deliveries": count,
        "seconds": round(seconds, 2),
        "per_second": round(count / seconds, 1),
        "cpu_ms_per_delivery": round(cpu * 1000 / count, 3),
    }


def _pending(address: DatabaseAddress, target: uuid.UUID) -> int:
    with psycopg.connect(address.conninfo(), autocommit=True) as connection:
        return connection.execute(
            "SELECT count(*) FROM deliveries WHERE target = %s AND state = 'pending'", (target,)
        ).fetchone()[0]


def text(found: dict) -> str:
    return "\n".join(
        f"  {name}: {f['per_second']:,.0f} deliveries/s, {f['cpu_ms_per_delivery']} ms CPU each"
        f" (rounds: {', '.join(str(r['per_second']) for r in f['runs'])}/s)"
        for name, f in found.items()
    )


def main(argv: list[str]) -> None:
    """The sender of this process's code, as `measure` runs it for the A at a ref."""
    parser = argparse.ArgumentParser(
        description="One sending run of this code's sender (`--sender-levers` runs it for the A"
        " at --ab-ref); prints its figures as JSON."
    )
    parser.add_argument("database_url", help="the database holding the queued deliveries")
    parser.add_argument("port", type=int, help="the loopback receiver's port")
    parser.add_argument("count", type=int, help="deliveries to send")
    args = parser.parse_args(argv)
    address = DatabaseAddress.from_url(args.database_url)
    app = _prepared(address)
    try:
        print(json.dumps(_one(app, address, KEPT, args.port, args.count)))
    finally:
        app.close()


if __name__ == "__main__":
    main(sys.argv[1:])
