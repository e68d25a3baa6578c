"""What would make the notifier fail is refused when `serve` starts; a follower process that
keeps failing makes the server not ready, naming it."""

from __future__ import annotations

import subprocess

from app.ops import follower_health
from app.ops.projection_process import ProjectionProcess
from tests.controls import ADMIN_TOKEN
from tests.fault_controls import wait_until
from tests.servers import REPOSITORY, free_port, server_command, server_environment


def test_a_malformed_delivery_allow_list_stops_serve_at_start_naming_it(database, tmp_path):
    env = server_environment(database, tmp_path, ADMIN_TOKEN, None)
    env["LEDGER_DELIVERY_ALLOW"] = "127.0.0.1/32,bogus"
    ended = subprocess.run(
        server_command(free_port(), 1, None),
        cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert ended.returncode == 2, ended.stderr
    lines = ended.stderr.strip().splitlines()
    assert len(lines) == 1 and "LEDGER_DELIVERY_ALLOW" in lines[0] and "bogus" in lines[0]


def test_a_follower_that_keeps_failing_makes_the_server_not_ready_naming_it(client, settings):
    assert client.get("/health/ready").status_code == 200
    follower = ProjectionProcess("no-such-follower", settings.data_dir)  # ends at once, code 2
    follower.start()
    try:
        assert wait_until(lambda: follower_health.failing(settings.data_dir), 60)
        answer = client.get("/health/ready")
    finally:
        follower.stop()
    assert answer.status_code == 503
    assert any("no-such-follower process keeps failing" in p for p in answer.json()["problems"])
