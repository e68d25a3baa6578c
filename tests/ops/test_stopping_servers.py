"""The test servers leave nothing behind: stopping one ends its whole process group.

A server whose main process died first (killed by a test, or crashed) still has granian workers
and a projection process in its group; `stop_server` used to skip them, and every full run left
a worker listening.
"""

from __future__ import annotations

import os
import signal

import httpx
import pytest

from tests.servers import _live_members, running_server

pytestmark = pytest.mark.slow


def test_stopping_a_server_whose_main_process_died_ends_its_workers(database, tmp_path):
    with running_server(database, tmp_path / "server", workers=2) as server:
        group = server.process.pid
        assert len(_live_members(group)) >= 3  # main process, 2 workers (and projections)
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(10)
        assert _live_members(group), "the workers outlive their main process"

    assert _live_members(group) == []
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.base_url}/health/live", timeout=2)
