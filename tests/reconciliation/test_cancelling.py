"""An upload stops when its client goes away, and a cancelled query is no "database down".

The disconnect is real: a statement sent over a socket to a live server, which is closed
while the server reconciles it; the server's transaction must end without storing anything.
"""

from __future__ import annotations

import socket
import time
from threading import Thread
from urllib.parse import urlencode, urlparse

import psycopg

from app.reconciliation import staging
from tests.reconciliation.controls import period, statement, upload

_LABEL = "reconciliation upload %"
WAIT = 120  # seconds: a hang guard only


def _sessions(database, query: str = "%") -> list[dict]:
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        return connection.execute(
            "SELECT pid, query FROM pg_stat_activity WHERE application_name LIKE %s "
            "AND query LIKE %s", (_LABEL, query),
        ).fetchall()  # fmt: skip


def _until(found, seconds: float = WAIT):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := found():
            return value
        time.sleep(0.2)
    return None


def test_a_cancelled_query_answers_409_not_503_and_stores_nothing(
    demo, services, database, monkeypatch
):
    def stuck(cursor, *args) -> None:
        cursor.execute("SELECT pg_sleep(600)")

    monkeypatch.setattr(staging, "finish", stuck)

    def cancel_it() -> None:
        pids = _until(lambda: _sessions(database, "%pg_sleep%"))
        with psycopg.connect(database.conninfo(), autocommit=True) as connection:
            connection.execute("SELECT pg_cancel_backend(%s)", (pids[0][0],))

    canceller = Thread(target=cancel_it)
    canceller.start()
    response = upload(demo, statement([["o-1", "new"]], ["exto", "status"]))
    canceller.join(WAIT)

    assert response.status_code == 409, response.text
    assert response.json()["error"] == "reconciliation_cancelled"
    assert "retry-after" not in response.headers


def test_an_upload_stops_when_its_client_disconnects(live_server, database):
    rows = [[f"o-{n}", "new", "15.00", "USD"] for n in range(400_000)]
    body = statement(rows, ["exto", "status", "amount", "currency"])
    query = urlencode({"advertiser": "adv-1", **period(), "file_name": "gone.csv"})
    address = urlparse(live_server.base_url)
    head = (f"POST /api/reconciliations?{query} HTTP/1.1\r\nHost: {address.netloc}\r\n"
            f"Authorization: Bearer {live_server.admin_token}\r\nContent-Type: text/csv\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()  # fmt: skip
    with socket.create_connection((address.hostname, address.port)) as client:
        client.sendall(head + body)
        assert _until(lambda: _sessions(database)), live_server.log_tail()
    # The socket is closed: the server's upload must end, and keep nothing.

    assert _until(lambda: not _sessions(database)), live_server.log_tail()
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        stored = connection.execute(
            "SELECT count(*) AS n FROM reconciliations WHERE file_name = 'gone.csv'"
        ).fetchone()
    assert stored[0] == 0
