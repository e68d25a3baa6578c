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


def test_two_served_nodes_of_two_workers_release_each_hold_once_when_a_follower_is_killed(
    database, tmp_path
):
    """Two `serve` nodes on one database, two HTTP workers each, each with its hold follower;
    leads put on hold through both, then one node's follower is killed -9: every hold still
    ends, by exactly one release."""
    catalog = tmp_path / "holds.toml"
    catalog.write_text(holds_toml(reg='hold_for = "2s"'))
    env = {"LEDGER_HOLD_CHECK_SECONDS": "0.2"}

    def node(name: str):
        return running_server(database, tmp_path / name, catalog=catalog, workers=2, env=env)

    with node("a") as a, node("b") as b, a.client() as http_a, b.client() as http_b:
        assert wait_until(lambda: _holds_children(a.process.pid), 60), a.log_tail()
        assert wait_until(lambda: _holds_children(b.process.pid), 60), b.log_tail()
        leads = []
        for n in range(8):
            http = (http_a, http_b)[n % 2]
            params = {"token": "7-s3cr3t", "flow": "101", "exto": f"node-{n}"}
            leads.append(http.get("/api/site/click.json", params=params).json()["id"])
            held = http.get("/api/site/status.json", params={**params, "status": "hold"})
            assert held.status_code == 200, held.text
        for follower in _holds_children(a.process.pid):
            os.kill(follower, signal.SIGKILL)

        def history(lead_id: str) -> list[dict]:
            shown = http_a.get(f"/api/leads/{lead_id}/history", headers=ADMIN)
            return shown.json()["steps"] if shown.status_code == 200 else []

        def released(lead_id: str) -> bool:
            steps = history(lead_id)
            return bool(steps) and steps[-1]["kind"] == "hold_release"

        assert wait_until(lambda: all(map(released, leads)), 90), a.log_tail() + b.log_tail()
        releases = [
            [s["kind"] for s in history(lead_id)].count("hold_release") for lead_id in leads
        ]
        assert releases == [1] * len(leads)
