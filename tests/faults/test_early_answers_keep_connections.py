"""An answer given before the request's body was read keeps the kept-alive connection usable.

granian (hyper) closes a connection after an answer whose request body the application left
unread, without saying so; a client writing its next request in that instant loses it. The
database gate reads a refused body first (`test_kept_alive_connections.py`); any other early
answer (a guard's 401, a route that refuses before reading) is covered by the server reading
what is left of the body after the application is done (`app.ops.unread_bodies`).
"""

from __future__ import annotations

import select
import socket

import pytest

pytestmark = pytest.mark.slow
BODY = b'{"webmaster": "wm-1", "currency": "USD", "reference": "pay-1"}'


def head(path: str, length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer not-a-token\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def exchange(connection: socket.socket, request: bytes) -> bytes:
    connection.sendall(request)
    answer = b""
    while b"\r\n\r\n" not in answer:
        ready, _, _ = select.select([connection], [], [], 10)
        if not ready:
            break
        chunk = connection.recv(65536)
        if not chunk:
            break
        answer += chunk
    return answer


def test_a_refused_admin_post_leaves_the_connection_open_for_the_next_request(live_server):
    port = int(live_server.base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(head("/api/payouts", len(BODY)))
        select.select([connection], [], [], 2.0)  # the guard may answer before the body comes
        first = exchange(connection, BODY)
        second = exchange(connection, head("/api/payouts", len(BODY)) + BODY)

    assert first.startswith(b"HTTP/1.1 401"), first
    assert second.startswith(b"HTTP/1.1 401"), second  # was b"": closed without an answer
