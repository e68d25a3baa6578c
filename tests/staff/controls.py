"""Staff members for tests: add one over the API (as the owner) and call with their token."""

from __future__ import annotations

from tests.controls import ADMIN


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def add_staff(client, name: str, role: str) -> str:
    """Add `name` with `role` as the owner; their personal token."""
    answer = client.post("/api/staff", json={"name": name, "role": role}, headers=ADMIN)
    assert answer.status_code == 201, answer.text
    return answer.json()["token"]


def refused(answer, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["status"] == "error" and body["error"] == code, body
    return body
