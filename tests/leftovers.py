"""What a test run must not leave behind: processes it started, and temporary data.

Every process a test starts, directly or through a server, inherits `MARK` in its environment
(PostgreSQL started by pg_ctl included), so a process that outlived the run is found by its
environment even after it was handed to another parent. The run's own temporary folders carry
`RUN` in their names. `tests/conftest.py` fails the run when anything is left.
"""

from __future__ import annotations

import os
import signal
import tempfile
import time
import uuid
from contextlib import suppress
from pathlib import Path

MARK = "POSTBACK_LEDGER_TEST_RUN"  # not LEDGER_*: tests/servers.py drops those for servers
RUN = os.environ.setdefault(MARK, uuid.uuid4().hex[:8])
SETTLE_SECONDS = 15.0
TEMP_ROOT = Path("/tmp")  # short paths: a PostgreSQL socket path must stay under ~107 bytes


def temp_folder(kind: str) -> Path:
    """A new folder of this run, such as `/tmp/plt-<run>-xxxx` for a test PostgreSQL."""
    return Path(tempfile.mkdtemp(prefix=f"{kind}-{RUN}-", dir=TEMP_ROOT))


def processes_left(run: str = RUN) -> list[tuple[int, str]]:
    """(pid, command line) of live processes of this run, other than this one."""
    needle = f"{MARK}={run}".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        pid = int(entry.name)
        if pid == os.getpid():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0") or _zombie(entry):
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile, or not ours to read
            continue
        found.append((pid, command.strip()))
    return found


def processes_left_after(seconds: float) -> list[tuple[int, str]]:
    """Processes of this run still there after `seconds` (a browser or server may be ending)."""
    deadline = time.monotonic() + seconds
    while (found := processes_left()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def folders_left(run: str = RUN) -> list[Path]:
    return sorted(TEMP_ROOT.glob(f"*-{run}-*"))


def end(processes: list[tuple[int, str]]) -> None:
    """Kill what the run left, so that one failed run does not load the machine for the next."""
    for pid, _ in processes:
        with suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def _zombie(entry: Path) -> bool:
    return (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
