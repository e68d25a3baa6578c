"""Outgoing postbacks under load: a local receiver, deliveries/s and commit-to-receipt times.

The receiver runs in a process of its own (a threading HTTP server answering 200) and notes when
each delivery id arrived. The event's timestamp is taken just before its commit, so "receipt
minus the delivery's `event_at`" is the time from a postback's commit to the webmaster's tracker
hearing of it. The notifier process of `serve` sends; `LEDGER_DELIVERY_ALLOW` lets it reach the
loopback receiver.
"""

from __future__ import annotations

import multiprocessing
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import psycopg

from app.eventstore.database import DatabaseAddress

# The one local receiver stands for many trackers: the per-host bound would cap it alone.
ENV = {
    "LEDGER_DELIVERY_ALLOW": "127.0.0.0/8",
    "LEDGER_DELIVERY_RETRY_BASE": "1",
    "LEDGER_DELIVERY_PER_HOST": "32",
}
DRAIN_SECONDS = 120.0


def _receive(port_out, receipts_out, stop) -> None:
    arrived: list[tuple[str, float]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in separate writes: with Nagle on, each answer waited for
        # the client's delayed ACK (~40 ms), which capped a receiver at ~25 answers/s/connection.
        disable_nagle_algorithm = True

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            arrived.append((query.get("d", [""])[0], time.time()))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_out.send(server.server_address[1])
    server.timeout = 0.2
    while not stop.is_set():
        server.handle_request()
    receipts_out.send(arrived)


class Receiver:
    """The receiver process; `stop()` returns [(delivery id, unix time received)]."""

    def __init__(self) -> None:
        port_in, port_out = multiprocessing.Pipe(duplex=False)
        self._receipts, receipts_out = multiprocessing.Pipe(duplex=False)
        self._stop = multiprocessing.Event()
        self._process = multiprocessing.Process(
            target=_receive, args=(port_out, receipts_out, self._stop), daemon=True
        )
        self._process.start()
        self.port = port_in.recv()

    def stop(self) -> list[tuple[str, float]]:
        self._stop.set()
        receipts = self._receipts.recv() if self._receipts.poll(30) else []
        self._process.join(10)
        return receipts


def configure(base: str, token: str, port: int) -> None:
    """Every webmaster of the demo catalog gets one GET target on the receiver."""
    url = f"http://127.0.0.1:{port}/pb?d={{delivery}}&st={{status}}&c={{commission}}"
    toml = "".join(
        f'[[webmasters]]\nid = "{wm}"\nname = "{name}"\n  [[webmasters.postbacks]]\n'
        f'  url = "{url}"\n'
        for wm, name in (("wm-1", "Traffic Co"), ("wm-2", "Push Media"))
    )
    response = httpx.post(
        f"{base}/api/admin/catalog", content=toml, headers={"Authorization": f"Bearer {token}"}
    )
    response.raise_for_status()


def queue_depth(address: DatabaseAddress) -> int:
    with psycopg.connect(address.conninfo(), autocommit=True) as connection:
        return connection.execute(
            "SELECT count(*) FROM deliveries WHERE state = 'pending'"
        ).fetchone()[0]


def drain(address: DatabaseAddress) -> float:
    """Seconds until nothing is pending after the load (the queue's backlog, in time)."""
    started = time.monotonic()
    while queue_depth(address) and time.monotonic() - started < DRAIN_SECONDS:
        time.sleep(0.2)
    return round(time.monotonic() - started, 1)


def summarise(address: DatabaseAddress, receipts: list[tuple[str, float]]) -> dict:
    with psycopg.connect(address.conninfo(), autocommit=True) as connection:
        rows = connection.execute(
            "SELECT id::text, extract(epoch FROM event_at) AS at, state FROM deliveries"
        ).fetchall()
    event_at = {row[0]: float(row[1]) for row in rows}
    first = {}
    for delivery, at in receipts:
        first.setdefault(delivery, at)
    latencies = sorted(at - event_at[d] for d, at in first.items() if d in event_at)
    span = max(first.values()) - min(first.values()) if len(first) > 1 else 0.0
    states: dict[str, int] = {}
    for row in rows:
        states[row[2]] = states.get(row[2], 0) + 1
    return {
        "queued": len(rows),
        "received": len(first),
        "repeats": len(receipts) - len(first),
        "by_state": states,
        "deliveries_per_second": round(len(first) / span, 1) if span else None,
        "commit_to_receipt_ms": {
            "p50": _ms(latencies, 0.50),
            "p99": _ms(latencies, 0.99),
            "max": _ms(latencies, 1.0),
        },
    }


def _ms(values: list[float], share: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(share * len(values)))] * 1000, 1)
