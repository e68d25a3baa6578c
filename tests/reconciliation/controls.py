"""Builders for reconciliation tests: a statement as CSV bytes, an upload, an acceptance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from litestar.testing import TestClient

from tests.controls import ADMIN


def period() -> dict[str, str]:
    """From yesterday to the day after tomorrow (UTC midnights), in RFC 3339."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return {"from": (today - timedelta(days=1)).isoformat(),
            "to": (today + timedelta(days=2)).isoformat()}  # fmt: skip


def statement(rows: list[list[str]], header: list[str], delimiter: str = ",", bom=False) -> bytes:
    def cell(value: str) -> str:
        needs_quotes = delimiter in value or '"' in value or " " in value
        return '"' + value.replace('"', '""') + '"' if needs_quotes else value

    lines = [delimiter.join(cell(v) for v in row) for row in [header, *rows]]
    text = "\r\n".join(lines) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def upload(client: TestClient, body: bytes, advertiser: str = "adv-1", **params: str):
    query = {"advertiser": advertiser, **period(), **params}
    return client.post(
        "/api/reconciliations", params=query, content=body,
        headers={**ADMIN, "Content-Type": "text/csv"},
    )  # fmt: skip


def uploaded(client: TestClient, body: bytes, **params: str) -> dict:
    response = upload(client, body, **params)
    assert response.status_code == 201, response.text
    return response.json()


def lines(client: TestClient, run_id: str, **params: str) -> list[dict]:
    response = client.get(f"/api/reconciliations/{run_id}/lines", params={"limit": 1000, **params},
                          headers=ADMIN)  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()["items"]


def accept(client: TestClient, run_id: str, **body) -> dict:
    response = client.post(f"/api/reconciliations/{run_id}/accept", json=body, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def counts(summary: dict) -> dict[str, int]:
    return {name: found["count"] for name, found in summary.items()}
