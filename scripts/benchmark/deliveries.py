"""Outgoing postbacks under load: a local receiver, deliveries/s and commit-to-receipt times.

The receiver runs in a process of its own (a threading HTTP server answering 200) and notes when
each delivery id arrived. The event's timestamp is taken just before its commit, so "receipt
minus the delivery's `event_at`" is the time from a postback's commit to the webmaster's tracker
hearing of it. The notifier process of `serve` sends; `LEDGER_DELIVERY_ALLOW` lets it reach the
loopback receiver. `measure` gives the JSON's `deliveries`: sent per second against queued per
second during the closed-loop load (the sender keeps up when it sends at least what is queued and
the queue left at the end is under a second of sending), then an open-loop run at a constant rate
(`--deliveries-open-loop-rate`, 500/s) on the same server, its commit to receipt on its own.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import psycopg

from app.deliveries.settings import parse_allow
from app.eventstore.database import DatabaseAddress

ALLOW = parse_allow("127.0.0.0/8")
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


def configure(base: str, token: str, port: int | None) -> None:
    """Every webmaster of the demo catalog gets one GET target on the receiver (port None: no
    target, so a later run's server does not send to this run's receiver, gone by then)."""
    url = f"http://127.0.0.1:{port}/pb?d={{delivery}}&st={{status}}&c={{commission}}"
    target = f'  [[webmasters.postbacks]]\n  url = "{url}"\n' if port else ""
    toml = "".join(
        f'[[webmasters]]\nid = "{wm}"\nname = "{name}"\n{target}'
        for wm, name in (("wm-1", "Traffic Co"), ("wm-2", "Push Media"))
    )
    response = httpx.post(
        f"{base}/api/admin/catalog", content=toml, headers={"Authorization": f"Bearer {token}"}
    )
    response.raise_for_status()


def _to(port: int) -> str:
    """Only the deliveries to this run's receiver: an earlier run's may wait for retries."""
    return f"url LIKE 'http://127.0.0.1:{int(port)}/%'"


def queue_depth(address: DatabaseAddress, port: int) -> int:
    with psycopg.connect(address.conninfo(), autocommit=True) as connection:
        return connection.execute(
            f"SELECT count(*) FROM deliveries WHERE state = 'pending' AND {_to(port)}"
        ).fetchone()[0]


def drain(address: DatabaseAddress, port: int) -> float:
    """Seconds until nothing is pending after the load (the queue's backlog, in time)."""
    started = time.monotonic()
    while queue_depth(address, port) and time.monotonic() - started < DRAIN_SECONDS:
        time.sleep(0.2)
    return round(time.monotonic() - started, 1)


def load_ended(began: float, address: DatabaseAddress, receiver: Receiver | None) -> tuple:
    """(start, end, the queue left) of a load that just ended: the queue is counted at once,
    before the bench waits for the lag probe and the read models."""
    return (began, time.time(), receiver and queue_depth(address, receiver.port))


def measure(address: DatabaseAddress, receiver: Receiver, window, open_loop=None) -> dict:
    """After the closed-loop load of `window` (unix start, end, the queue left at its end): the
    drain, then `open_loop()` (a run at a constant rate, returning its figures) and its drain,
    and the figures of both: deliveries sent per second against queued per second, commit to
    receipt."""
    *window, at_end = window
    drain_seconds = drain(address, receiver.port)
    opened = None
    if open_loop is not None:
        began = time.time()
        answered = open_loop()
        opened = (began, time.time(), answered)
        drain(address, receiver.port)
    rows, receipts = _rows(address, receiver.port), receiver.stop()
    first: dict[str, float] = {}
    for delivery, at in receipts:
        first.setdefault(delivery, at)
    found = _window(rows, first, window)
    per_second = found["per_second"] or 0.0
    found.update({
        "queue_at_end": at_end,
        "queue_at_end_seconds": round(at_end / per_second, 2) if per_second else None,
        "drain_seconds": drain_seconds,
        "queued": len(rows),
        "received": len(first),
        "repeats": len(receipts) - len(first),
        "by_state": dict(Counter(state for _, _, state in rows)),
    })  # fmt: skip
    found["keeps_up"] = bool(
        per_second >= found["queued_per_second"] and found["queue_at_end_seconds"] is not None
        and found["queue_at_end_seconds"] < 1.0
    )  # fmt: skip
    if opened is not None:
        began, ended, answered = opened
        found["open_loop"] = {**_window(rows, first, (began, ended)), "postbacks": answered}
    return found


def _rows(address: DatabaseAddress, port: int) -> list[tuple[str, float, str]]:
    with psycopg.connect(address.conninfo(), autocommit=True) as connection:
        return connection.execute(
            "SELECT id::text, extract(epoch FROM event_at)::float8, state FROM deliveries"
            f" WHERE {_to(port)}"
        ).fetchall()


def _window(rows, first: dict[str, float], window) -> dict:
    """Deliveries of the postbacks committed within `window`: queued per second (the demand),
    sent per second (first receipts within the window) and commit to receipt."""
    start, end = window
    seconds = max(end - start, 1e-9)
    queued = {delivery: at for delivery, at, _ in rows if start <= at <= end}
    sent = sum(1 for at in first.values() if start <= at <= end)
    latencies = sorted(first[d] - at for d, at in queued.items() if d in first)
    return {
        "seconds": round(seconds, 1),
        "queued_per_second": round(len(queued) / seconds, 1),
        "per_second": round(sent / seconds, 1),
        "commit_to_receipt_ms": {
            "p50": _ms(latencies, 0.50),
            "p99": _ms(latencies, 0.99),
            "max": _ms(latencies, 1.0),
        },
        "not_received": len(queued) - len(latencies),
    }


def text(sent: dict | None) -> list[str]:
    if not sent:
        return []
    latency = sent["commit_to_receipt_ms"]
    lines = [
        f"  deliveries: {sent['per_second']}/s sent, {sent['queued_per_second']}/s queued during"
        f" the load (keeps up: {sent['keeps_up']}); commit to receipt ms p50 {latency['p50']}"
        f"  p99 {latency['p99']}  max {latency['max']}; queue at the end of the load"
        f" {sent['queue_at_end']} ({sent['queue_at_end_seconds']} s of sending), drained in"
        f" {sent['drain_seconds']} s; {sent['received']:,} of {sent['queued']:,} queued received,"
        f" repeats {sent['repeats']}"
    ]
    if opened := sent.get("open_loop"):
        latency = opened["commit_to_receipt_ms"]
        lines.append(
            f"  deliveries, open loop at {opened['postbacks'].get('rate')} postbacks/s:"
            f" {opened['queued_per_second']}/s queued, {opened['per_second']}/s sent; commit to"
            f" receipt ms p50 {latency['p50']}  p99 {latency['p99']}  max {latency['max']}"
        )
    return lines


def _ms(values: list[float], share: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(share * len(values)))] * 1000, 1)
