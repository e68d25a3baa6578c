"""A revocation holds at once in every worker of a real server (`serve --workers 2`)."""

from __future__ import annotations

import httpx

from tests.servers import running_server

CALLS = 24  # each on a new connection, so that both workers answer some


def statuses(server, headers: dict) -> set[int]:
    found = set()
    for _ in range(CALLS):
        with httpx.Client(base_url=server.base_url, timeout=30.0) as fresh:
            found.add(fresh.get("/api/recalculations", headers=headers).status_code)
    return found


def test_a_revoked_or_rotated_token_is_refused_by_every_worker_at_once(database, tmp_path):
    server_at = running_server(database, tmp_path / "server", workers=2, catalog=None)
    with server_at as server, server.client() as http:
        added = http.post("/api/staff", json={"name": "wanda", "role": "operator"},
                          headers=server.admin_headers)  # fmt: skip
        assert added.status_code == 201, added.text
        token = {"Authorization": f"Bearer {added.json()['token']}"}
        assert statuses(server, token) == {200}

        rotated = http.post("/api/staff/wanda/rotate", headers=server.admin_headers)
        new = {"Authorization": f"Bearer {rotated.json()['token']}"}
        assert statuses(server, token) == {401}
        assert statuses(server, new) == {200}

        assert http.post("/api/staff/wanda/revoke", headers=server.admin_headers).is_success
        assert statuses(server, new) == {401}
        assert statuses(server, server.admin_headers) == {200}  # the shared token: the owner
