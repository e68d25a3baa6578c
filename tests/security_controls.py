"""Builders for the security tests: catalogs with access rules, signed postbacks, raw stores."""

from __future__ import annotations

import time

import psycopg
from litestar.testing import TestClient

from app.eventstore.database import DatabaseAddress
from domain.signatures import sign
from tests.controls import ADMIN, DEMO_CATALOG

SITE_7_LINE = 'key = "s3cr3t"'
GLOBAL_LINE = 'global_tokens = ["demo-global-token"]'


def demo_catalog_with(site_7: str = "", network: str = "") -> bytes:
    """The demo catalog with extra TOML lines for site 7 and for [network]."""
    text = DEMO_CATALOG.decode()
    text = text.replace(SITE_7_LINE, f"{SITE_7_LINE}\n  {site_7}", 1)
    text = text.replace(GLOBAL_LINE, f"{GLOBAL_LINE}\n{network}", 1)
    return text.encode()


def apply_catalog(client: TestClient, document: bytes) -> dict:
    response = client.post("/api/admin/catalog", content=document, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def signed_get(
    client: TestClient,
    path: str,
    query: str,
    secret: str,
    at: int | None = None,
    signed_query: str | None = None,
):
    """GET path?query with an X-Signature header (over `signed_query` when given: tampering)."""
    timestamp = int(time.time()) if at is None else at
    signature = sign(secret, timestamp, "GET", path, (signed_query or query).encode(), b"")
    return client.get(f"{path}?{query}", headers={"X-Signature": signature})


def postback_log(client: TestClient, services, **filters: str) -> list[dict]:
    services.runner.catch_up()
    response = client.get("/api/postbacks", params=filters, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def raw_event_store(database: DatabaseAddress) -> bytes:
    """Every stored event's bytes, to look for secrets that must never be there."""
    with psycopg.connect(database.conninfo()) as connection:
        rows = connection.execute("SELECT topic, state FROM ledger_events").fetchall()
    return b"\n".join(topic.encode() + b" " + bytes(state) for topic, state in rows)
