"""Tools of the delivery tests: receivers on loopback that answer as told, a running notifier."""

from __future__ import annotations

import contextlib
import ipaddress
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.deliveries.service import NotifierService
from app.deliveries.settings import DeliverySettings
from tests.controls import ADMIN
from tests.fault_controls import wait_until

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)
FAST = DeliverySettings(
    allow=LOOPBACK, retry_base=0.05, max_attempts=5, suspend_after=50, total_timeout=2.0
)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """A webmaster's tracker on loopback; `answers` are used in turn, the last one repeats.

    An answer is (status, headers) or one of "slow" (never answers in time), "close" (drops the
    connection without an answer), "hold" (answers 200 when the test sets `release`).
    """

    host: str = "127.0.0.1"
    answers: list = field(default_factory=lambda: [(200, {})])
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path_and_query: str = "/pb") -> str:
        return f"http://{self.host}:{self.port}{path_and_query}"

    def start(self) -> Receiver:
        self.server = ThreadingHTTPServer((self.host, 0), _handler(self))
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def next_answer(self):
        index = min(len(self.received) - 1, len(self.answers) - 1)
        return self.answers[index]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in separate writes: with Nagle on, each answer waited for
        # the client's delayed ACK (~40 ms), which capped a receiver at ~25 answers/s/connection.
        disable_nagle_algorithm = True

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            receiver.received.append(Received(self.command, self.path, headers, body, time.time()))
            answer = receiver.next_answer()
            if answer == "slow":
                receiver.release.wait(30)
                return
            if answer == "hold":  # answers 200 once the test releases it
                receiver.release.wait(60)
                answer = (200, {})
            if answer == "close":
                self.close_connection = True
                return
            status, extra = answer
            payload = b"ok" if status < 300 else b"no"
            self.send_response(status)
            for name, value in {"Content-Length": str(len(payload)), **extra}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@contextlib.contextmanager
def receiving(*answers, host: str = "127.0.0.1") -> Iterator[Receiver]:
    receiver = Receiver(host=host, answers=list(answers) or [(200, {})]).start()
    try:
        yield receiver
    finally:
        receiver.stop()


@contextlib.contextmanager
def notifying(services, settings: DeliverySettings = FAST, **options) -> Iterator[NotifierService]:
    notifier = NotifierService.open(services.ledger, services.address, settings, **options)
    notifier.start()
    try:
        yield notifier
    finally:
        notifier.stop()


def postbacks_toml(url: str, webmaster: str = "wm-1", name: str = "Traffic Co", **more) -> str:
    lines = [f'url = "{url}"'] + [f"{k} = {_toml(v)}" for k, v in more.items()]
    return (
        f'[[webmasters]]\nid = "{webmaster}"\nname = "{name}"\n'
        "  [[webmasters.postbacks]]\n" + "".join(f"  {line}\n" for line in lines)
    )


def _toml(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    return f'"{value}"'


def configure(client, toml: str) -> None:
    response = client.post("/api/admin/catalog", content=toml, headers=ADMIN)
    assert response.status_code == 200, response.text


def deliveries(client, **filters) -> list[dict]:
    response = client.get("/api/deliveries", params=filters, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def settled(client, count: int, state: str = "delivered", timeout: float = 60) -> list[dict]:
    """The deliveries once `count` of them are in `state` (generous deadline: busy machines)."""
    found: list[dict] = []

    def enough() -> bool:
        nonlocal found
        response = client.get("/api/deliveries", headers=ADMIN)
        if response.status_code == 503:  # the database is coming back: the gate says so at once
            return False
        assert response.status_code == 200, response.text
        found = response.json()["items"]
        return sum(d["state"] == state for d in found) >= count

    if not wait_until(enough, timeout):
        pytest.fail(f"{count} deliveries not {state} in {timeout}s: {found}")
    return found


def received_within(receiver: Receiver, count: int, timeout: float = 60) -> list[Received]:
    assert wait_until(lambda: len(receiver.received) >= count, timeout), receiver.received
    return receiver.received


def detail(client, delivery_id: str) -> dict:
    response = client.get(f"/api/deliveries/{delivery_id}", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()
