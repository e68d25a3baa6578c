"""Tools of the order-per-lead tests: a tracker on loopback that keeps what each lead told it.

Like Keitaro or Binom, it keeps the last status it heard of each lead. It answers slowly, and
fails a share of the first attempts of deliveries at random (500), so retries and slow answers
are mixed with fresh deliveries as a real tracker's would be. The order of arrival is recorded
when a request arrives, before the answer, which is what a tracker acts on.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# What one lead goes through in the order tests: four changes after its creation.
CHANGES = ({"status": "hold"}, {"status": "approved"}, {"goal": "dep"}, {"status": "cancel"})
EVENTS = ["created", "hold", "approve", "goal", "cancel"]


@dataclass
class Tracker:
    """JSON deliveries in; per lead, the events and statuses in the order they arrived."""

    fail_first: float = 0.2
    slowest: float = 0.03
    seed: int = 26
    arrived: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    headers: list[dict[str, str]] = field(default_factory=list)
    requests: int = 0

    def start(self) -> Tracker:
        self._random = random.Random(self.seed)
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/pb"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def arrive(self, body: dict, headers: dict[str, str]) -> tuple[bool, float]:
        """Note the request; whether to fail it and how long to take."""
        with self._lock:
            self.requests += 1
            self.headers.append(headers)
            self.arrived.setdefault(body["lead"], []).append((body["event"], body["status"]))
            first = body["delivery"] not in self._seen
            self._seen.add(body["delivery"])
            fail = first and self._random.random() < self.fail_first
            return fail, self._random.uniform(0, self.slowest)

    def heard(self) -> int:
        with self._lock:
            return sum(len(events) for events in self.arrived.values())

    def all_ended_with(self, leads, event: str) -> bool:
        """Whether each of `leads` was heard of and the last thing heard was `event`."""
        with self._lock:
            return all(self.arrived.get(str(i), [("", "")])[-1][0] == event for i in leads)

    def out_of_order(self, expected: list[str]) -> dict[str, list[str]]:
        """Leads whose events arrived in another order than `expected` (a repeat of the event
        just heard is a duplicate, allowed: sent at least once)."""
        wrong = {}
        for lead, events in self.arrived.items():
            names = [name for name, _ in events]
            collapsed = [n for i, n in enumerate(names) if i == 0 or names[i - 1] != n]
            if collapsed != expected:
                wrong[lead] = names
        return wrong

    def last_status(self, lead: str) -> str:
        return self.arrived[lead][-1][1]


def _handler(tracker: Tracker) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fail, delay = tracker.arrive(body, {k.lower(): v for k, v in self.headers.items()})
            time.sleep(delay)
            payload = b"no" if fail else b"ok"
            self.send_response(500 if fail else 200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def json_target_toml(url: str) -> str:
    return (
        '[[webmasters]]\nid = "wm-1"\nname = "Traffic Co"\n'
        f'  [[webmasters.postbacks]]\n  url = "{url}"\n  method = "JSON"\n'
    )
