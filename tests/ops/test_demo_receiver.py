"""The demo's webmaster tracker: `postback-ledger receiver` prints what it receives and never
outlives its shell; the demo catalog's wm-1 target reaches it only when the operator allows
loopback with LEDGER_DELIVERY_ALLOW (the default policy refuses it)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.controls import SITE_TOKEN
from tests.servers import DEMO_CATALOG_FILE, free_port, running_server

DEADLINE = 60.0  # seconds: generous, the machine is shared
COMMAND = [str(Path(sys.executable).parent / "postback-ledger"), "receiver"]


def _listening(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=1.0)
        return True
    except httpx.TransportError:
        return False


def _until(check, what: str, timeout: float = DEADLINE):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen in {timeout}s")


def _as_a_background_job() -> None:
    """A script's background job starts with SIGINT ignored (so did CI's run): Ctrl-C must
    stop the receiver all the same."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.fixture
def receiver(tmp_path):
    port = free_port()
    out = (tmp_path / "receiver.out").open("w+")
    process = subprocess.Popen(
        [*COMMAND, "--port", str(port)], stdout=out, stderr=out, text=True,
        preexec_fn=_as_a_background_job,
    )  # fmt: skip
    try:
        _until(lambda: _listening(port), "the receiver listening")
        yield port, process, lambda: Path(out.name).read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        out.close()


def test_the_receiver_prints_each_request_and_answers_ok_and_ctrl_c_stops_it(receiver):
    port, process, printed = receiver

    got = httpx.get(f"http://127.0.0.1:{port}/postback", params={"lead": "L1", "status": "new"})
    posted = httpx.post(f"http://127.0.0.1:{port}/pb", data={"status": "approve"})

    assert (got.status_code, got.text, posted.status_code) == (200, "ok\n", 200)
    _until(lambda: "status=approve" in printed(), "the POST printed")
    assert "GET /postback?lead=L1&status=new" in printed()
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=DEADLINE) == 0
    assert not _listening(port)


def test_a_receiver_started_in_the_background_ends_with_its_shell(tmp_path):
    port = free_port()
    shell = subprocess.Popen(
        ["bash", "-c", f"{' '.join(COMMAND)} --port {port} > /dev/null 2>&1 & sleep 3"]
    )
    _until(lambda: _listening(port), "the receiver listening")
    shell.wait(timeout=DEADLINE)

    _until(lambda: not _listening(port), "the receiver stopping once its shell ended")


def test_a_port_in_use_is_one_line_and_exit_1(receiver):
    port, _, _ = receiver

    taken = subprocess.run([*COMMAND, "--port", str(port)], capture_output=True, text=True,
                           timeout=DEADLINE)  # fmt: skip

    assert taken.returncode == 1
    assert taken.stderr.strip().splitlines() == [
        f"postback-ledger: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]


def _demo_catalog_for(port: int, folder: Path) -> Path:
    text = DEMO_CATALOG_FILE.read_text()
    assert "http://127.0.0.1:9000/postback?" in text  # the demo's wm-1 target, as README says
    catalog = folder / "demo-catalog.toml"
    catalog.write_text(text.replace("127.0.0.1:9000", f"127.0.0.1:{port}"))
    return catalog


@pytest.mark.slow
@pytest.mark.parametrize("allowed", [True, False], ids=["loopback-allowed", "default-policy"])
def test_the_demo_catalogs_tracker_hears_of_a_lead_only_where_loopback_is_allowed(
    database, tmp_path, receiver, allowed
):
    port, _, printed = receiver
    env = {"LEDGER_DELIVERY_ALLOW": "127.0.0.1/32"} if allowed else {}
    catalog = _demo_catalog_for(port, tmp_path)
    with (
        running_server(database, tmp_path / "server", catalog=catalog, env=env) as server,
        server.client(headers=server.admin_headers) as http,
    ):
        params = {"token": SITE_TOKEN, "flow": "101", "exto": "demo-receiver-1"}
        lead = http.get("/api/site/click.json", params=params).json()["id"]
        settled = _until(
            lambda: [
                d for d in http.get("/api/deliveries").json()["items"] if d["state"] != "pending"
            ],
            "the delivery settling",
        )
        detail = http.get(f"/api/deliveries/{settled[0]['id']}").json()

    assert len(settled) == 1 and settled[0]["webmaster"] == "wm-1"
    if allowed:
        assert settled[0]["state"] == "delivered", settled
        assert f"GET /postback?lead={lead}&status=new&commission=10.00&currency=USD" in printed()
    else:
        assert settled[0]["state"] == "failed", settled
        assert "LEDGER_DELIVERY_ALLOW" in str(detail["attempt_log"]), detail
        assert "/postback" not in printed()
