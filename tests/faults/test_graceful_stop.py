"""A graceful stop answers every request it accepted: none is cut off without an answer.

During a SIGTERM under load, requests that reached the server (their bytes were written on an
open connection) had their connection closed without an answer. A sender may be refused a
connection once the server stops accepting; what it was allowed to send must be answered.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from contextlib import suppress

import pytest

from tests.fault_controls import Senders, creation_then_approval, load_until
from tests.servers import running_server

pytestmark = pytest.mark.slow
SENDERS = 32


def test_a_graceful_stop_under_load_closes_no_connection_without_an_answer(database, tmp_path):
    with running_server(database, tmp_path / "server", workers=2) as server:
        senders = Senders(server.base_url, creation_then_approval, count=SENDERS).start()
        load_until(server, senders, acks=300, seconds=20)
        os.killpg(server.process.pid, signal.SIGTERM)
        exit_code = server.process.wait(60)
        answers = senders.stop()

    assert exit_code == 0, server.log_tail()
    cut_off = [a for a in answers if a.written_at is not None and a.status is None]
    assert cut_off == [], f"{len(cut_off)} of {len(answers)} cut off: {cut_off[:3]}"
    # The worker drained: its last answers told each client to close its connection.
    assert any(a.headers.get("connection") == "close" for a in answers)


def test_a_request_on_a_kept_alive_connection_just_after_the_stop_signal_is_answered(
    database, tmp_path
):
    """The keep-alive race made plain: an idle connection, the signal, then its next request."""
    with running_server(database, tmp_path / "server") as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            assert http_get(connection, port).startswith(b"HTTP/1.1 200")
            os.killpg(server.process.pid, signal.SIGTERM)
            time.sleep(0.2)  # the worker has begun to stop; the client does not know yet
            answer = http_get(connection, port)
        exit_code = server.process.wait(60)

    assert answer.startswith(b"HTTP/1.1 200"), answer
    assert b"connection: close" in answer.lower()
    assert exit_code == 0


def http_get(connection: socket.socket, port: int) -> bytes:
    """One keep-alive GET of /health/live on `connection`; the answer's head and body."""
    connection.sendall(f"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    received = b""
    with suppress(ConnectionError, TimeoutError):
        while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
    return received
