"""Test data builders: example postbacks and helpers that read like the protocol."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from litestar.testing import TestClient

ADMIN_TOKEN = "test-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
_DEMO_FILE = (Path(__file__).parent.parent / "scripts" / "demo-catalog.toml").read_bytes()
# The demo's tracker target (README's receiver on 127.0.0.1:9000) as the demo catalog states it.
DEMO_TRACKER = (
    b"  [[webmasters.postbacks]]\n"
    b'  url = "http://127.0.0.1:9000/postback?lead={lead}&status={status}'
    b'&commission={commission}&currency={currency}"\n'
)
assert DEMO_TRACKER in _DEMO_FILE, "the demo catalog's wm-1 target changed: update DEMO_TRACKER"
# The demo catalog as TestClient tests apply it: without the demo's tracker, so each delivery
# test states its own targets and counts only its own deliveries (live servers get the file).
DEMO_CATALOG = _DEMO_FILE.replace(DEMO_TRACKER, b"")
SITE_TOKEN = "7-s3cr3t"  # site 7 of offer-1
OTHER_OFFER_TOKEN = "8-l0an-key"  # site 8 of offer-2
GLOBAL_TOKEN = "demo-global-token"


def new_click(client: TestClient, flow: str = "cc-traffic", **subs: str) -> str:
    response = client.get(f"/go/{flow}", params=subs, follow_redirects=False)
    assert response.status_code == 302, response.text
    query = urlparse(response.headers["location"]).query
    return dict(part.split("=", 1) for part in query.split("&"))["click"]


def example_postback(**overrides: str) -> dict[str, str]:
    params = {"token": SITE_TOKEN}
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def create(client: TestClient, **params: str):
    return client.get("/api/site/click.json", params=example_postback(**params))


def change(client: TestClient, **params: str):
    return client.get("/api/site/status.json", params=example_postback(**params))


def lead(client: TestClient, lead_id: str, after: int | None = None) -> dict:
    params = {"after": after} if after else {}
    response = client.get(f"/api/leads/{lead_id}", params=params, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def postbacks(client: TestClient, **filters: str) -> list[dict]:
    response = client.get("/api/postbacks", params=filters, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def wait_for_postback_log(client: TestClient, services) -> None:
    """Let the projections catch up with everything written so far."""
    services.runner.catch_up()
