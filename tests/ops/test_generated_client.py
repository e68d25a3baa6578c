"""A Python client generated from the served OpenAPI document works against a live server.

`openapi-python-client` generates a package from `/schema/openapi.json` (failing on any warning:
a part of the document it cannot read would be missing from every integrator's client too), and
the test uses that package, not httpx, to create a lead, change its status, read the lead and
the balances, and branch on an error's code.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from tests.controls import SITE_TOKEN

pytestmark = pytest.mark.slow
PACKAGE = "ledger_client"
GENERATOR_SECONDS = 300


@pytest.fixture
def generated(live_server, tmp_path, monkeypatch):
    """The generated package, imported from a temporary folder."""
    document = httpx.get(f"{live_server.base_url}/schema/openapi.json", timeout=30).json()
    (tmp_path / "openapi.json").write_text(json.dumps(document))
    # No post hooks: the generator would run ruff on the output, which is not needed to import it.
    config = {"package_name_override": PACKAGE, "post_hooks": []}
    (tmp_path / "config.json").write_text(json.dumps(config))
    generator = Path(sys.executable).parent / "openapi-python-client"
    run = subprocess.run(
        [
            str(generator), "generate", "--path", "openapi.json", "--config", "config.json",
            "--meta", "none", "--output-path", PACKAGE, "--fail-on-warning",
        ],
        cwd=tmp_path, capture_output=True, text=True, timeout=GENERATOR_SECONDS,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module(PACKAGE)
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def api(name: str):
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def test_a_generated_client_creates_changes_and_reads_a_lead(generated, live_server):
    site = generated.Client(base_url=live_server.base_url, raise_on_unexpected_status=True)
    admin = generated.AuthenticatedClient(
        base_url=live_server.base_url, token=live_server.admin_token
    )
    postbacks = "postbacks.api_site_click_json_get_create_lead"
    created = api(postbacks).sync(client=site, token=SITE_TOKEN, flow="101", exto="gen-1")
    changed = api("postbacks.api_site_status_json_get_change_status").sync(
        client=site, token=SITE_TOKEN, flow="101", exto="gen-1", status="approved"
    )
    lead = api("leads.api_leads_lead_id_get_lead").sync(
        client=admin, lead_id=UUID(created.id), after=changed.position
    )
    balances = api("ledger.api_balances_balances").sync(client=admin, webmaster="wm-1")

    assert changed.id == created.id
    assert (lead.status, lead.webmaster, lead.webmaster_commission.amount) == (
        "approve", "wm-1", "10.00",
    )  # fmt: skip
    assert balances.account == "webmaster:wm-1"
    assert balances.balances["USD"]["approved"] == "10.00"


def test_a_generated_client_branches_on_the_error_code(generated, live_server):
    site = generated.Client(base_url=live_server.base_url)
    models = importlib.import_module(f"{PACKAGE}.models")

    refused = api("postbacks.api_site_status_json_get_change_status").sync_detailed(
        client=site, token=SITE_TOKEN, click="no-such-click", status="approved"
    )

    assert refused.status_code == 404
    assert isinstance(refused.parsed, models.ErrorBody)
    assert refused.parsed.error == models.ErrorBodyError.UNKNOWN_CLICK
