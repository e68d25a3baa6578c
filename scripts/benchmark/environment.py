"""What the benchmark runs against: a PostgreSQL server and the service started as deployed.

The database is the embedded PostgreSQL in a fresh short folder under /tmp, or a fresh database
on the server named by `DATABASE_URL`; the A of an A/B gets a copy of it on the same server
(`Database.copy`). The service is `postback-ledger serve` in its own process group, exactly as an
operator starts it; the benchmark only talks to it over loopback.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from app.eventstore.database import DatabaseAddress, embedded_address, start_embedded

ROOT = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "bench-admin-token"


@dataclass
class Database:
    """A database of its own for one benchmark run; `close` drops or stops what was made."""

    address: DatabaseAddress
    folder: Path | None = None
    _server: object | None = None
    _admin: DatabaseAddress | None = None

    @classmethod
    def open(cls) -> Database:
        if os.environ.get("DATABASE_URL"):
            admin = DatabaseAddress.from_url(os.environ["DATABASE_URL"])
            name = f"bench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(admin.conninfo(), autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{name}"')
            return cls(admin.with_dbname(name), _admin=admin)
        folder = Path(tempfile.mkdtemp(prefix="plb-", dir="/tmp"))  # short: socket path limit
        server = start_embedded(folder)
        return cls(embedded_address(server), folder, server)

    def describe(self) -> str:
        return (
            f"embedded in {self.folder}"
            if self.folder
            else f"DATABASE_URL, db {self.address.dbname}"
        )

    def server_version(self) -> str:
        with psycopg.connect(self.address.conninfo()) as connection:
            return connection.execute("SHOW server_version").fetchone()[0]

    def copy(self, suffix: str) -> Database:
        """A database of its own on the same server, holding what this one holds now: the A of
        an A/B gets the seeded events and none of the read models that B's code makes here.
        Nothing may be connected to this one meanwhile. Its `close` drops the copy alone."""
        name = f"{self.address.dbname}_{suffix}"
        admin = self._admin or _maintenance(self.address)
        with psycopg.connect(admin.conninfo(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.address.dbname}"')
        return Database(self.address.with_dbname(name), self.folder, _admin=admin)

    def close(self) -> None:
        if self._admin is not None:
            with psycopg.connect(self._admin.conninfo(), autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{self.address.dbname}" WITH (FORCE)')
        if self._server is not None:
            self._server.cleanup()
            # The embedded data folder: hundreds of MB after a rebuild. A copy shares it.
            shutil.rmtree(self.folder, ignore_errors=True)


def _maintenance(address: DatabaseAddress) -> DatabaseAddress:
    """A database to connect to while `address`'s is copied: never the one being copied."""
    return address.with_dbname("template1" if address.dbname == "postgres" else "postgres")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """`postback-ledger serve` in its own process group, with its peak memory sampled."""

    process: subprocess.Popen
    port: int
    log_path: Path
    peak_rss_total: int = 0
    peak_rss_process: int = 0
    _sampling: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def start(
        cls,
        database: Database,
        workers: int | None,
        max_batch: int | None,
        log_dir: Path,
        projections: str = "process",
        extra_env: dict[str, str] | None = None,
    ) -> Server:
        """`serve` as deployed: `workers` None takes its default; `projections` is its option."""
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database.address.url(),
            "LEDGER_DATA_DIR": str(log_dir / f"data-{port}"),
            "LEDGER_ADMIN_TOKEN": ADMIN_TOKEN,
            # One advertiser sends everything here; the per-token limit (1,000/s per process by
            # default) protects against runaway senders and would cap this benchmark.
            "LEDGER_RATE_LIMIT": "0",
        }
        env.update(extra_env or {})
        if max_batch is not None:
            env["LEDGER_MAX_BATCH"] = str(max_batch)
        log_path = log_dir / f"server-{port}.log"
        cli = shlex.quote(str(ROOT / ".venv/bin/postback-ledger"))
        command = f"exec {cli} serve --port {port} --projections {projections}"
        if workers is not None:
            command += f" --workers {workers}"
        process = subprocess.Popen(
            ["/bin/sh", "-c", command],
            env=env,
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        server = cls(process, port, log_path)
        server._wait_until_ready()
        threading.Thread(target=server._sample_memory, daemon=True).start()
        return server

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_until_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                # The log's folder goes with the run: its last lines are the reason, so say them.
                last = self.log_path.read_text(errors="replace").splitlines()[-12:]
                raise RuntimeError("server exited:\n" + "\n".join(last))
            try:
                urllib.request.urlopen(f"{self.base}/schema/openapi.json", timeout=2).read()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"server did not answer within {timeout}s; see {self.log_path}")

    def _sample_memory(self) -> None:
        while not self._sampling.wait(0.25):
            sizes = [rss_bytes(pid) for pid in process_tree(self.process.pid)]
            if sizes:
                self.peak_rss_total = max(self.peak_rss_total, sum(sizes))
                self.peak_rss_process = max(self.peak_rss_process, max(sizes))

    def stop(self) -> None:
        self._sampling.set()
        stop_group(self.process)

    def pids(self) -> list[int]:
        return process_tree(self.process.pid)


def process_tree(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                queue.extend(int(child) for child in task.read_text().split())
    return found


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """CPU time of a process tree so far, including children it has already reaped."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for index, member in enumerate(process_tree(pid)):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if index == 0:
            total += int(fields[13]) + int(fields[14])  # cutime, cstime
    return total / ticks


def projections_cpu_seconds(server: int, group: bytes = b"projections") -> float:
    """CPU time so far of the `<group> run` processes under the server (0 if none): the read
    models' `projections`, or the webmasters' postbacks' `notifier`."""
    total = 0.0
    for member in process_tree(server):
        try:
            command = Path(f"/proc/{member}/cmdline").read_bytes()
        except OSError:
            continue
        if group + b"\0run" in command:
            total += cpu_seconds(member)
    return total


def postgres_pid(database: Database) -> int | None:
    """The embedded server's postmaster; None for an external server (its CPU is not ours)."""
    if database.folder is None:
        return None
    return int((database.folder / "pg" / "postmaster.pid").read_text().split()[0])


# Followers in projection_tracking that `projections run` does not feed: the notifier's
# (app.deliveries.notifier.NAME) and the holds follower's (app.holds.follower, issue 21).
# Waiting on them where they do not run would never end.
NOT_READ_MODELS = ("deliveries", "holds")

_BEHIND = """
SELECT (SELECT coalesce(max(notification_id), 0) FROM ledger_events)
     - (SELECT coalesce(min(position), 0) FROM projection_tracking WHERE name <> ALL(%s))
"""


def events_behind(connection: psycopg.Connection, skip: tuple[str, ...] = ()) -> int:
    """How far the slowest read model (of those not in `skip`) is behind the event store."""
    return connection.execute(_BEHIND, (list(skip),)).fetchone()[0]


def wait_for_projections(
    database: Database, timeout: float = 300.0, skip: tuple[str, ...] = ()
) -> float:
    """Let the read models catch up with the log (a run must not inherit the last one's
    backlog); returns the seconds it took. `skip`: followers not running now (the notifier's
    `deliveries` in the --nodes run), which would never catch up."""
    started = time.monotonic()
    with psycopg.connect(database.address.conninfo(), autocommit=True) as connection:
        while time.monotonic() - started < timeout:
            if events_behind(connection, skip) <= 0:
                break
            time.sleep(0.5)
    return round(time.monotonic() - started, 1)


def stop_group(process: subprocess.Popen | None) -> None:
    """Ctrl-C to a started process's whole group, then SIGKILL if it is not gone in 30 s."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
