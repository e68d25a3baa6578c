"""Projection lag: from a postback's acknowledgement to its lead being visible in the lead view.

A probe process of its own creates a lead every 50 ms while the load runs (a creation always
appends an event; a repeated status may not), notes when each answer with the event's position
arrived, and polls `projection_tracking` until the lead view has processed that position. The
lead view row and its tracking position commit in one transaction, so the position being
tracked means the row is visible.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import time
import uuid

import psycopg

from app.eventstore.database import DatabaseAddress

from .load import SITE_TOKEN

_INTERVAL = 0.05
_GIVE_UP = 15.0  # after the load ends; unseen by then counts as infinitely late


def probe(port: int, address: DatabaseAddress, seconds: float, out) -> None:
    """Runs in its own process; sends the list of lags (seconds) to `out`."""
    lags: list[float] = []
    pending: list[tuple[int, float]] = []  # (position, acknowledged at)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    deadline = time.monotonic() + seconds
    next_send = 0.0
    with psycopg.connect(address.conninfo(), autocommit=True) as database:
        while time.monotonic() < deadline or (pending and _waited(pending) < _GIVE_UP):
            if time.monotonic() >= next_send and time.monotonic() < deadline:
                position = _send(connection)
                next_send = time.monotonic() + _INTERVAL
                if position:
                    pending.append((position, time.monotonic()))
            visible = _tracked(database)
            now = time.monotonic()
            lags += [now - at for position, at in pending if position <= visible]
            pending = [(position, at) for position, at in pending if position > visible]
            time.sleep(0.002)
    out.send(lags + [float("inf")] * len(pending))


def _send(connection: http.client.HTTPConnection) -> int | None:
    """A creation for a new lead (by flow + a unique exto): it always appends an event."""
    exto = f"probe-{uuid.uuid4().hex}"
    connection.request("GET", f"/api/site/click.json?token={SITE_TOKEN}&flow=101&exto={exto}")
    return json.loads(connection.getresponse().read()).get("position")


def _tracked(database: psycopg.Connection) -> int:
    row = database.execute(
        "SELECT position FROM projection_tracking WHERE name = 'lead_view'"
    ).fetchone()
    return row[0] if row else 0


def _waited(pending: list[tuple[int, float]]) -> float:
    return time.monotonic() - pending[0][1]


def start(port: int, address: DatabaseAddress, seconds: float):
    receiver, sender = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.Process(
        target=probe, args=(port, address, seconds, sender), daemon=True
    )
    process.start()
    return process, receiver


def summarise(lags: list[float]) -> dict:
    """Percentiles in ms; a postback still unseen when the probe gave up shows as null."""
    if not lags:
        return {"samples": 0}
    ordered = sorted(lags)

    def ms(value: float) -> float | None:
        return round(value * 1000, 1) if value != float("inf") else None

    return {
        "samples": len(ordered),
        "unseen": sum(1 for value in ordered if value == float("inf")),
        "p50_ms": ms(ordered[len(ordered) // 2]),
        "p99_ms": ms(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]),
        "max_ms": ms(ordered[-1]),
    }
