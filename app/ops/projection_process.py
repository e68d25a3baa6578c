"""The read models' own process beside the HTTP workers, started and watched by `serve`.

Running the projection runner as a thread inside each HTTP worker made the runner, the event
loop and the postback writer share one GIL: a page of read-model work held up answers, and one
core did everything. In a process of its own the runner uses the other core, and the workers
only accept and write postbacks (measured in README, "Server setup").

`serve` starts `postback-ledger projections run --exit-with-parent`, restarts it if it ever dies,
and stops it when the server stops. The child also ends by itself when its parent is gone (even
after a kill -9: `app.ops.lifeline`), so a crashed server never leaves an orphan runner holding the
leader lock.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from app.ops import follower_health

log = logging.getLogger(__name__)

RESTART_DELAY_SECONDS = 1.0
STOP_SECONDS = 15.0


def projections_command(group: str = "projections", options: Sequence[str] = ()) -> list[str]:
    script = Path(sys.executable).parent / "postback-ledger"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]
    return [*command, group, "run", "--exit-with-parent", *options]


class ProjectionProcess:
    """Keeps one `<group> run` child alive until `stop()`: the read models' `projections`, the
    webmasters' postbacks' `notifier` (its two parts as `notifier` and `sender`, by `name`)."""

    def __init__(
        self,
        group: str = "projections",
        data_dir: Path | None = None,
        options: Sequence[str] = (),
        name: str | None = None,
    ) -> None:
        self._command = projections_command(group, options)
        self._group = name or group  # what readiness and the logs call it
        self._data_dir = data_dir  # where a follower that keeps failing is noted (readiness)
        self._ends_in_a_row = 0
        self._stopping = threading.Event()
        self._child: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._watcher = threading.Thread(
            target=self._watch, name=f"{self._group}-process", daemon=True
        )

    def start(self) -> None:
        """Start the child now, before the server forks its workers.

        Popen waits on a close-on-exec pipe to learn that the child's exec succeeded; a worker
        forked meanwhile inherits that pipe and keeps it open, and Popen would wait for the
        worker to end. Started first, the child is running before any worker exists.
        """
        self._note(healthy=True)  # a note left by an earlier server says nothing of this one
        self._spawn()
        self._watcher.start()

    def _spawn(self) -> None:
        with self._lock:
            if not self._stopping.is_set():
                # Its connections in pg_stat_activity say which follower holds them.
                named = {**os.environ, "PGAPPNAME": f"postback-ledger {self._group}"}
                self._child = subprocess.Popen(self._command, env=named)

    def _watch(self) -> None:
        while not self._stopping.is_set() and self._child is not None:
            started = time.monotonic()
            try:
                code = self._child.wait(follower_health.HEALTHY_SECONDS)
            except subprocess.TimeoutExpired:
                self._ends_in_a_row = 0
                self._note(healthy=True)
                code = self._child.wait()
            if self._stopping.is_set():
                return
            quick = time.monotonic() - started < follower_health.HEALTHY_SECONDS
            self._ends_in_a_row = self._ends_in_a_row + 1 if quick else 1
            if self._ends_in_a_row >= follower_health.FAILING_AFTER:
                self._note(
                    healthy=False,
                    detail=f"ended {self._ends_in_a_row} times in a row, last with code {code}",
                )
            log.warning(
                "%s process ended with code %s; starting it again in %.0fs",
                self._group,
                code,
                RESTART_DELAY_SECONDS,
            )
            if not self._stopping.wait(RESTART_DELAY_SECONDS):
                self._spawn()

    def _note(self, healthy: bool, detail: str = "") -> None:
        if self._data_dir is None:
            return
        try:
            if healthy:
                follower_health.mark_healthy(self._data_dir, self._group)
            else:
                follower_health.mark_failing(self._data_dir, self._group, detail)
        except OSError as error:  # the note is a courtesy to readiness; watching goes on
            log.warning("cannot note the %s process's health: %s", self._group, error)

    def stop(self) -> None:
        with self._lock:
            self._stopping.set()
            child = self._child
        if child is None or child.poll() is not None:
            return
        child.terminate()
        try:
            child.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
