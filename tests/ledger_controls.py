"""Builders and readers for the commission ledger tests: the money endpoints, catalog edits."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal

from litestar.testing import TestClient

from tests.controls import ADMIN, change, create


def accepted(response) -> dict:
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ok", response.text
    return response.json()


def created_lead(client: TestClient, **params: str) -> tuple[str, int]:
    """(lead id, position) of a new lead of flow 101 (offer-1, wm-1) unless told otherwise."""
    params.setdefault("flow", "101")
    body = accepted(create(client, **params))
    return body["id"], body["position"]


def changed(client: TestClient, **params: str) -> int:
    """The position of a status postback's change (flow 101 unless told otherwise)."""
    params.setdefault("flow", "101")
    return accepted(change(client, **params))["position"]


def commission(client: TestClient, lead_id: str, after: int | None = None) -> dict:
    response = client.get(f"/api/leads/{lead_id}/commission", params=_after(after), headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def balances(client: TestClient, after: int | None = None, **account: str) -> dict:
    response = client.get("/api/balances", params={**account, **_after(after)}, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()["balances"]


def ledger_page(client: TestClient, **filters) -> dict:
    response = client.get("/api/ledger", params=filters, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def report(client: TestClient, group_by: str, **params) -> list[dict]:
    response = client.get(
        "/api/reports/commissions", params={"group_by": group_by, **params}, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def apply_catalog(client: TestClient, toml: str | bytes) -> dict:
    response = client.post("/api/admin/catalog", content=toml, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def goal_rate_toml(
    webmaster: str, advertiser: str = "15.00", effective_from: datetime | None = None
) -> str:
    """offer-1's `reg` goal at new rates (USD), from `effective_from` if given."""
    since = f"effective_from = {effective_from.isoformat()}\n" if effective_from else ""
    return f"""
[[offers]]
id = "offer-1"
name = "Credit card"
advertiser = "adv-1"
landing_url = "https://acme.example/land?click={{click}}"
  [[offers.goals]]
  id = "reg"
  aliases = ["registration", "signup"]
  default = true
  webmaster = {{ amount = "{webmaster}", currency = "USD" }}
  advertiser = {{ amount = "{advertiser}", currency = "USD" }}
  {since}"""


def personal_rate_toml(webmaster: str, amount: str, effective_from: datetime | None = None) -> str:
    since = f"effective_from = {effective_from.isoformat()}\n" if effective_from else ""
    return f"""
[[personal_rates]]
webmaster = "{webmaster}"
offer = "offer-1"
goal = "reg"
amount = "{amount}"
currency = "USD"
{since}"""


def posted(entries: list[dict]) -> list[tuple[str, str, str, bool]]:
    """Entries as (account, bucket, amount, reverses), in posting order."""
    return [(e["account"], e["bucket"], e["amount"], e["reverses"]) for e in entries]


def sums_per_posting(entries: list[dict]) -> Counter:
    sums: Counter = Counter()
    for entry in entries:
        sums[(entry["posting_id"], entry["currency"])] += Decimal(entry["amount"])
    return sums


def _after(after: int | None) -> dict:
    return {"after": after} if after else {}
