"""`serve` runs its HTTP workers and read models behind the notifier for the CPU.

Under a steady stream of postbacks the notifier got what the workers and read models left of
the cores and sent a tenth of what was queued (docs/performance.md). With a higher nice value
for the workers and the read models, the notifier and the hold follower come first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.controls import ADMIN_TOKEN
from tests.fault_controls import wait_until
from tests.servers import REPOSITORY, free_port, running_server, server_command, server_environment

RENICE_THREADS = """
import os, threading
from app.ops.cpu_priority import lower_priority
before = threading.Event(); release = threading.Event()
def wait_then_spawn():
    before.set(); release.wait()
    later = threading.Thread(target=lambda: print('later', os.getpriority(os.PRIO_PROCESS, 0)))
    later.start(); later.join()
early = threading.Thread(target=wait_then_spawn); early.start(); before.wait()
print('returned', lower_priority('LEDGER_HTTP_WORKERS_NICE'))
for tid in os.listdir('/proc/self/task'):
    print('thread', os.getpriority(os.PRIO_PROCESS, int(tid)))
release.set(); early.join()
"""


def test_every_thread_of_the_process_is_reniced_and_threads_started_later_follow():
    ran = subprocess.run(
        [sys.executable, "-c", RENICE_THREADS], cwd=REPOSITORY, capture_output=True, text=True,
        env={**os.environ, "LEDGER_HTTP_WORKERS_NICE": "7"}, timeout=60,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    start = os.getpriority(os.PRIO_PROCESS, 0)
    lines = ran.stdout.split("\n")
    threads = [int(line.split()[1]) for line in lines if line.startswith("thread")]
    assert len(threads) == 2  # the main thread and the one started before
    assert set(threads) == {start + 7}
    assert f"returned {start + 7}" in lines
    assert f"later {start + 7}" in lines


def _nice(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def _descendants(root: int) -> dict[int, str]:
    """pid → command line of every process below `root`."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = {}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            try:
                found[child] = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            todo.append(child)
    return {pid: line.decode(errors="replace") for pid, line in found.items()}


def _followers_and_workers(serve: int) -> dict[str, list[int]]:
    kinds: dict[str, list[int]] = {"projections": [], "notifier": [], "holds": [], "worker": []}
    for pid, line in _descendants(serve).items():
        for follower in ("projections", "notifier", "holds"):
            if f" {follower} run " in f" {line} ":
                kinds[follower].append(pid)
        if " serve " in f" {line} ":  # granian's workers are forks of serve
            kinds["worker"].append(pid)
    return kinds


def test_serve_runs_workers_and_read_models_behind_the_notifier(database, tmp_path):
    with running_server(database, tmp_path / "served", workers=2) as server:
        serve = server.process.pid
        assert wait_until(lambda: all(_followers_and_workers(serve).values()), 30), _descendants(
            serve
        )
        kinds = _followers_and_workers(serve)
        # The workers renice themselves as they build the app: they answered before this.
        own = _nice(serve)
        assert {_nice(pid) for pid in kinds["worker"]} == {own + 5}, _descendants(serve)
        assert len(kinds["worker"]) == 2
        assert wait_until(lambda: {_nice(p) for p in kinds["projections"]} == {own + 5}, 30)
        assert {_nice(pid) for pid in kinds["notifier"] + kinds["holds"]} == {own}


@pytest.mark.parametrize("value", ["-1", "20", "five"])
def test_a_nice_value_serve_cannot_use_stops_it_at_start_naming_it(database, tmp_path, value):
    env = server_environment(database, tmp_path, ADMIN_TOKEN, None)
    env["LEDGER_READ_MODELS_NICE"] = value
    ended = subprocess.run(
        server_command(free_port(), 1, None),
        cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert ended.returncode == 2, ended.stderr
    lines = ended.stderr.strip().splitlines()
    assert len(lines) == 1 and "LEDGER_READ_MODELS_NICE" in lines[0] and value in lines[0]
