"""`serve` supervises the hold-release follower like the notifier: a hold ends by itself on a
running server, and a killed follower is started again (issue 21)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from tests.controls import ADMIN
from tests.fault_controls import wait_until
from tests.hold_controls import holds_toml
from tests.servers import running_server


def _holds_children(server_pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
            command = (status.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if f"\nPPid:\t{server_pid}\n" in text and b"holds\x00run" in command:
            found.append(int(status.parent.name))
    return found


def test_a_served_hold_ends_by_itself_even_after_its_follower_was_killed(database, tmp_path):
    env = {"LEDGER_HOLD_CHECK_SECONDS": "0.2"}
    with running_server(database, tmp_path / "server", env=env) as server, server.client() as http:
        applied = http.post(
            "/api/admin/catalog", content=holds_toml(reg='hold_for = "1s"'), headers=ADMIN
        )
        assert applied.status_code == 200, applied.text
        assert wait_until(lambda: _holds_children(server.process.pid), 60)
        (follower,) = _holds_children(server.process.pid)
        os.kill(follower, signal.SIGKILL)
        params = {"token": "7-s3cr3t", "flow": "101", "exto": "served"}
        lead_id = http.get("/api/site/click.json", params=params).json()["id"]
        held = http.get("/api/site/status.json", params={**params, "status": "hold"})
        assert held.status_code == 200, held.text

        def approved() -> bool:
            shown = http.get(f"/api/leads/{lead_id}", headers=ADMIN)
            return shown.status_code == 200 and shown.json()["status"] == "approve"

        assert wait_until(approved, 90), server.log_tail()
        restarted = _holds_children(server.process.pid)
        assert restarted and restarted != [follower]
