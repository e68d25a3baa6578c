"""Access rules on a real server: allowlists see the real peer address, signatures the real
bytes, and the operator's tools (the signing-secret command, the JSON log) work end to end."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
import pytest

from domain.signatures import sign
from tests.security_controls import demo_catalog_with
from tests.servers import REPOSITORY, running_server

pytestmark = pytest.mark.slow


def signing_secret(data_dir) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "sites", "signing-secret", "7"],
        cwd=REPOSITORY,
        env={"LEDGER_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_signed_allowlisted_postbacks_pass_and_others_are_refused_on_a_real_server(
    database, tmp_path
):
    catalog = tmp_path / "catalog.toml"
    rules = 'allowed_ips = ["127.0.0.0/8"]\n  require_signature = true'
    text = demo_catalog_with(site_7=rules).decode()
    text = text.replace('key = "l0an-key"', 'key = "l0an-key"\n  allowed_ips = ["10.0.0.0/8"]')
    catalog.write_text(text)
    data_dir = tmp_path / "srv"
    with running_server(
        database, data_dir, catalog=catalog, env={"LEDGER_LOG_LEVEL": "DEBUG"}
    ) as server:
        query = "token=7-s3cr3t&flow=101&exto=live-signed"
        header = sign(
            signing_secret(data_dir), int(time.time()), "GET", "/api/site/click.json",
            query.encode(), b"",
        )  # fmt: skip
        signed = httpx.get(
            f"{server.base_url}/api/site/click.json?{query}",
            headers={"X-Signature": header, "X-Request-Id": "live-req-1"},
        )
        unsigned = httpx.get(f"{server.base_url}/api/site/click.json?{query}x")
        other_site = httpx.get(
            f"{server.base_url}/api/site/click.json",
            params={"token": "8-l0an-key", "flow": "201", "exto": "from-loopback"},
        )
        log = server.log_path.read_text()

    assert signed.status_code == 200, signed.text
    assert signed.headers["x-request-id"] == "live-req-1"
    assert unsigned.status_code == 401 and unsigned.json()["error"] == "bad_signature"
    assert other_site.status_code == 403 and other_site.json()["error"] == "ip_not_allowed"
    access = [json.loads(line) for line in log.splitlines() if '"postback answered"' in line]
    assert {"request_id": "live-req-1", "outcome": "created", "status": 200}.items() <= next(
        entry for entry in access if entry.get("request_id") == "live-req-1"
    ).items()
    assert not [line for line in log.splitlines() if line.startswith("{") and "s3cr3t" in line]
