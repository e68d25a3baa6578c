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

import asyncio
import multiprocessing
import os
import socket
import time
from collections import Counter
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
    # The one receiver stands for every webmaster's tracker: it may have every request in flight.
    "LEDGER_DELIVERY_PER_HOST": os.environ.get("LEDGER_DELIVERY_PER_HOST", "128"),
}
DRAIN_SECONDS = 120.0


_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class _Receipts(asyncio.Protocol):
    """A fast tracker: HTTP/1.1 with keep-alive on one event loop, each request answered 200
    and its delivery id (`d=` in the query) noted with the time it arrived. A thread per
    connection (`http.server`) took a share of the two cores that a tracker on another machine
    would not, and more with every request in flight."""

    def __init__(self, arrived: list[tuple[str, float]]) -> None:
        self._arrived, self._buffer = arrived, b""

    def connection_made(self, transport) -> None:
        self._transport = transport
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while (end := self._buffer.find(b"\r\n\r\n")) >= 0:
            head = self._buffer[:end].decode("latin-1")
            length = next(
                (int(line.split(":", 1)[1]) for line in head.split("\r\n")
                 if line.lower().startswith("content-length:")), 0,
            )  # fmt: skip
            if len(self._buffer) < end + 4 + length:
                return
            self._buffer = self._buffer[end + 4 + length :]
            target = head.split(" ", 2)[1]
            query = parse_qs(urlsplit(target).query)
            self._arrived.append((query.get("d", [""])[0], time.time()))
            self._transport.write(_ANSWER)


def _receive(port_out, receipts_out, stop) -> None:
    arrived: list[tuple[str, float]] = []

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Receipts(arrived), "127.0.0.1", 0)
        port_out.send(server.sockets[0].getsockname()[1])
        while not stop.is_set():
            await asyncio.sleep(0.2)
        server.close()

    asyncio.run(serve())
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
    """Seconds until the notifier has queued every event of the load and nothing is pending
    (the backlog, in time). Waiting for an empty queue alone ended while the follower was
    still queuing the load's last events, whose deliveries then went uncounted."""
    started = time.monotonic()
    head = _log_head(address)
    while (
        _notifier_position(address) < head or queue_depth(address, port)
    ) and time.monotonic() - started < DRAIN_SECONDS:
        time.sleep(0.2)
    return round(time.monotonic() - started, 1)


def _log_head(address: DatabaseAddress) -> int:
    with psycopg.connect(address.conninfo(), autocommit=True) as connection:
        row = connection.execute("SELECT max(notification_id) FROM ledger_events").fetchone()
    return row[0] or 0


def _notifier_position(address: DatabaseAddress) -> int:
    with psycopg.connect(address.conninfo(), autocommit=True) as connection:
        row = connection.execute(
            "SELECT position FROM projection_tracking WHERE name = 'deliveries'"
        ).fetchone()
    return row[0] if row else 0


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
    receipts = receiver.stop()  # then the rows: every delivery received has its row
    rows = _rows(address, receiver.port)
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
    backlog = found["backlog_at_end"]
    found["backlog_at_end_seconds"] = round(backlog / per_second, 2) if per_second else None
    found["keeps_up"] = bool(
        per_second >= found["queued_per_second"] and found["backlog_at_end_seconds"] is not None
        and found["backlog_at_end_seconds"] < 1.0 and found["queue_at_end_seconds"] < 1.0
    )  # fmt: skip
    if opened is not None:
        began, ended, answered = opened
        found["open_loop"] = {**_window(rows, first, (began, ended)), "postbacks": answered}
    return found


def _by_quarter(queued: dict, first: dict, start: float, seconds: float) -> list:
    """Median commit to receipt of each quarter of the load, by commit time: flat when the
    sender keeps up, rising when a queue builds (the rates alone differ by noise)."""
    quarters: list[list[float]] = [[], [], [], []]
    for delivery, at in queued.items():
        if delivery in first:
            quarters[min(int((at - start) / seconds * 4), 3)].append(first[delivery] - at)
    return [_ms(sorted(q), 0.5) if q else None for q in quarters]


def _rows(address: DatabaseAddress, port: int) -> list[tuple[str, float, str]]:
    with psycopg.connect(address.conninfo(), autocommit=True) as connection:
        return connection.execute(
            "SELECT id::text, extract(epoch FROM event_at)::float8, state FROM deliveries"
            f" WHERE {_to(port)}"
        ).fetchall()


def _window(rows, first: dict[str, float], window) -> dict:
    """Deliveries of the postbacks committed within `window`: queued per second (the demand),
    sent per second, what was still unsent when it ended, and commit to receipt.

    `per_second` and `queued_per_second` are both counted over the load's second half, when
    the pipeline is full: what was received and what was committed in the same seconds.
    Counting over the whole load (`received_in_window_per_second`, the figure of earlier runs,
    against `queued_in_window_per_second`) under-counts a sender that keeps up by its latency:
    the load opens on an empty pipeline, with commits but no receipts yet. `backlog_at_end`
    counts the load's deliveries not received when it ended, queued or not yet queued by the
    follower.
    """
    start, end = window
    seconds = max(end - start, 1e-9)
    queued = {delivery: at for delivery, at, _ in rows if start <= at <= end}
    within = sum(1 for at in first.values() if start <= at <= end)
    latencies = sorted(first[d] - at for d, at in queued.items() if d in first)
    half = (start + end) / 2
    queued_late = sum(1 for at in queued.values() if at >= half)
    sent_late = sum(1 for at in first.values() if half <= at <= end)
    return {
        "seconds": round(seconds, 1),
        "queued_per_second": round(queued_late / (end - half), 1),
        "per_second": round(sent_late / (end - half), 1),
        "queued_in_window_per_second": round(len(queued) / seconds, 1),
        "received_in_window_per_second": round(within / seconds, 1),
        "backlog_at_end": sum(1 for d in queued if first.get(d, float("inf")) > end),
        "commit_to_receipt_ms": {
            "p50": _ms(latencies, 0.50),
            "p99": _ms(latencies, 0.99),
            "max": _ms(latencies, 1.0),
        },
        "not_received": len(queued) - len(latencies),
        "p50_ms_by_quarter": _by_quarter(queued, first, start, seconds),
    }


def text(sent: dict | None) -> list[str]:
    if not sent:
        return []
    latency = sent["commit_to_receipt_ms"]
    lines = [
        f"  deliveries, over the load's second half: {sent['per_second']}/s sent,"
        f" {sent['queued_per_second']}/s queued (whole load:"
        f" {sent['received_in_window_per_second']}/{sent['queued_in_window_per_second']});"
        f" {sent['backlog_at_end']} unsent at its end ({sent['backlog_at_end_seconds']} s)"
        f" (keeps up: {sent['keeps_up']}); commit to receipt ms p50 {latency['p50']}"
        f"  p99 {latency['p99']}  max {latency['max']}, p50 by quarter of the load"
        f" {sent['p50_ms_by_quarter']}; queue at the end of the load {sent['queue_at_end']}"
        f" ({sent['queue_at_end_seconds']} s of sending), drained in"
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
