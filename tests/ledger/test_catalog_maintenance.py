"""Maintaining the catalog from its TOML file, over HTTP and from the command line."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.checks import accepted, refused
from tests.controls import ADMIN, DEMO_CATALOG, create, lead, new_click
from tests.servers import DEMO_CATALOG_FILE, REPOSITORY, running_server

REG_RATE = (
    b'  webmaster = { amount = "10.00", currency = "USD" }\n'
    b'  advertiser = { amount = "15.00", currency = "USD" }\n'
)
NEW_REG_RATE = (
    b'  webmaster = { amount = "11.00", currency = "USD" }\n'
    b'  advertiser = { amount = "16.00", currency = "USD" }\n'
)


def apply(client, document: bytes):
    return client.post("/api/admin/catalog", content=document, headers=ADMIN)


def with_new_reg_rate(effective_from: str | None = None) -> bytes:
    assert DEMO_CATALOG.count(REG_RATE) == 1
    rate = NEW_REG_RATE
    if effective_from:
        rate += f"  effective_from = {effective_from}\n".encode()
    return DEMO_CATALOG.replace(REG_RATE, rate)


def test_applying_the_same_catalog_twice_changes_nothing(demo):
    version = apply(demo, DEMO_CATALOG).json()["catalog_version"]

    again = apply(demo, DEMO_CATALOG)

    assert again.status_code == 200
    assert again.json()["changes"] == []
    assert again.json()["catalog_version"] == version


def test_a_changed_rate_applies_to_new_leads_and_old_leads_keep_theirs(demo):
    before = accepted(create(demo, flow="101", exto="before"))

    changed = apply(demo, with_new_reg_rate())
    after = accepted(create(demo, flow="101", exto="after"))

    assert changed.status_code == 200 and changed.json()["changes"], changed.text
    old = lead(demo, before["id"], after=after["position"])
    new = lead(demo, after["id"], after=after["position"])
    assert old["advertiser_payout"] == {"amount": "15.00", "currency": "USD"}
    assert new["advertiser_payout"] == {"amount": "16.00", "currency": "USD"}
    assert new["webmaster_commission"] == {"amount": "11.00", "currency": "USD"}


def test_a_rate_effective_in_the_future_leaves_todays_leads_at_the_current_rate(demo):
    apply(demo, with_new_reg_rate("2999-01-01T00:00:00Z"))

    body = accepted(create(demo, click=new_click(demo)))

    assert lead(demo, body["id"], after=body["position"])["advertiser_payout"]["amount"] == "15.00"


def test_an_invalid_catalog_is_refused_with_its_problems_and_changes_nothing(demo):
    broken = DEMO_CATALOG.replace(b'code = "cc-traffic"', b'code = "cc traffic"')

    response = apply(demo, broken)

    assert response.status_code == 422
    assert "code" in response.text
    accepted(create(demo, code="cc-traffic", exto="still-there"))


def test_a_catalog_adds_what_postbacks_need_only_once_applied(client):
    refused(create(client, flow="101", exto="x"), 401, "invalid_token")

    assert apply(client, DEMO_CATALOG).status_code == 200

    accepted(create(client, flow="101", exto="x"))


def test_the_catalog_apply_command_applies_a_file_to_the_database(client, database, tmp_path):
    def command(*arguments: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "DATABASE_URL": database.url(), "LEDGER_DATA_DIR": str(tmp_path)}
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *arguments],
            cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    first = command("catalog", "apply", str(DEMO_CATALOG_FILE))
    second = command("catalog", "apply", str(DEMO_CATALOG_FILE))

    assert first.returncode == 0, first.stderr
    assert "flow 101" in first.stdout
    assert second.returncode == 0 and "catalog unchanged" in second.stdout, second.stdout
    accepted(create(client, code="cc-traffic", exto="from-cli"))


def test_serve_without_an_admin_token_makes_one_keeps_it_and_prints_it(database, tmp_path):
    data = tmp_path / "data"
    with running_server(database, data, env={"LEDGER_ADMIN_TOKEN": ""}) as server:
        token = (data / "admin-token").read_text().strip()
        with server.client() as http:
            allowed = http.get("/api/postbacks", headers={"Authorization": f"Bearer {token}"})
            denied = http.get("/api/postbacks", headers=ADMIN)
        printed = server.log_tail(200)

    assert token and token in printed
    assert (allowed.status_code, denied.status_code) == (200, 401)
    with running_server(database, data, env={"LEDGER_ADMIN_TOKEN": ""}, catalog=None):
        assert (data / "admin-token").read_text().strip() == token
