"""Personal tokens: added, listed, rotated, revoked and erased by the owner, over the API and the
command line; stored only as a digest, outside the event store."""

from __future__ import annotations

import hashlib
import shlex
from uuid import uuid4

import psycopg
import pytest

from app.cli.main import main
from tests.controls import ADMIN
from tests.servers import REPOSITORY
from tests.staff.controls import add_staff, bearer, refused


def staff_rows(database) -> list[dict]:
    with psycopg.connect(database.conninfo(), row_factory=psycopg.rows.dict_row) as connection:
        return connection.execute("SELECT * FROM staff ORDER BY name").fetchall()


def test_a_personal_token_works_with_its_role_and_is_stored_only_as_its_digest(client, database):
    token = add_staff(client, "sam", "support")

    assert client.get(f"/api/leads/{uuid4()}", headers=bearer(token)).status_code == 404
    body = refused(client.post("/api/admin/catalog", content=b"", headers=bearer(token)), 403,
                   "forbidden")  # fmt: skip
    assert "operator" in body["message"]
    [row] = staff_rows(database)
    assert row["token_digest"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(row)
    with psycopg.connect(database.conninfo()) as connection:  # never an event
        query = "SELECT count(*) FROM ledger_events WHERE encode(state, 'escape') LIKE %s"
        stored = connection.execute(query, (f"%{token}%",)).fetchone()
    assert stored == (0,)


def test_a_revoked_token_is_401_at_once_and_a_rotated_one_gives_way_to_the_new(client):
    revoked = add_staff(client, "rita", "operator")
    rotated = add_staff(client, "otto", "operator")

    assert client.post("/api/staff/rita/revoke", headers=ADMIN).json()["active"] is False
    answer = client.post("/api/staff/otto/rotate", headers=ADMIN)

    assert answer.status_code == 200, answer.text
    fresh = answer.json()["token"]
    assert answer.json()["role"] == "operator"
    for old in (revoked, rotated):
        refused(client.get("/api/recalculations", headers=bearer(old)), 401, "unauthorized")
    assert client.get("/api/recalculations", headers=bearer(fresh)).status_code == 200


def test_an_unknown_personal_token_is_401_like_any_unknown_token(client):
    add_staff(client, "uma", "support")
    never_given = "pls_" + "A" * 43  # shaped like a personal token

    for token in (never_given, "not-a-token"):
        for path in ("/api/recalculations", "/api/staff"):
            refused(client.get(path, headers=bearer(token)), 401, "unauthorized")


def test_a_revoked_name_can_be_added_again_and_an_erased_member_is_gone(client, database):
    first = add_staff(client, "eve", "support")
    client.post("/api/staff/eve/revoke", headers=ADMIN)

    again = add_staff(client, "eve", "finance")

    assert again != first
    assert client.get("/api/staff", headers=ADMIN).json()["items"][0]["role"] == "finance"
    assert client.delete("/api/staff/eve", headers=ADMIN).status_code == 204
    assert staff_rows(database) == []
    refused(client.get("/api/recalculations", headers=bearer(again)), 401, "unauthorized")


def test_only_the_owner_manages_staff(client):
    finance = add_staff(client, "fin", "finance")

    body = refused(client.post("/api/staff", json={"name": "x", "role": "finance"},
                               headers=bearer(finance)), 403, "forbidden")  # fmt: skip

    assert "owner" in body["message"]
    refused(client.get("/api/staff", headers=bearer(finance)), 403, "forbidden")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "x", "role": "owner"}, 400, "bad_request"),
        ({"name": "x", "role": "boss"}, 400, "bad_request"),
        ({"name": "", "role": "support"}, 400, "bad_request"),
        ({"name": " x", "role": "support"}, 400, "bad_request"),
        ({"name": "x\x00", "role": "support"}, 400, "bad_request"),
        ({"name": "x\n", "role": "support"}, 400, "bad_request"),
        ({"name": "x\u0085", "role": "support"}, 400, "bad_request"),
        ({"name": "x", "role": "support", "extra": 1}, 400, "bad_request"),
        ({"name": "support", "role": "support"}, 409, "conflict"),  # the admin token's name
        ({"name": "taken", "role": "support"}, 409, "conflict"),
    ],
)
def test_a_bad_staff_change_is_refused_and_changes_nothing(client, database, body, status, code):
    add_staff(client, "taken", "operator")
    before = staff_rows(database)

    answer = client.post("/api/staff", json=body, headers=ADMIN)

    assert answer.status_code == status, answer.text
    assert answer.json()["error"] in (code, "invalid_parameter")
    assert staff_rows(database) == before


def test_changing_an_unknown_member_is_404(client):
    for method, path in (("POST", "/api/staff/nobody/revoke"), ("POST", "/api/staff/nobody/rotate"),
                         ("DELETE", "/api/staff/nobody")):  # fmt: skip
        refused(client.request(method, path, headers=ADMIN), 404, "not_found")


def test_the_staff_list_pages_with_a_cursor(client):
    for name in ("a1", "a2", "a3"):
        add_staff(client, name, "support")

    first = client.get("/api/staff", params={"limit": 2}, headers=ADMIN).json()
    second = client.get("/api/staff", params={"limit": 2, "cursor": first["next_cursor"]},
                        headers=ADMIN).json()  # fmt: skip

    assert [m["name"] for m in first["items"]] == ["a1", "a2"]
    assert [m["name"] for m in second["items"]] == ["a3"] and second["next_cursor"] is None
    assert "token" not in str(first) and "digest" not in str(first)


def test_the_command_line_adds_lists_rotates_and_revokes(client, database, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database.url())

    assert main(["staff", "add", "alice", "--role", "operator"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]  # alone on its last line
    assert client.get("/api/recalculations", headers=bearer(token)).status_code == 200
    assert main(["staff", "list"]) == 0
    listed = capsys.readouterr().out
    assert "alice" in listed and "operator" in listed and token not in listed
    assert main(["staff", "rotate", "alice"]) == 0
    new = capsys.readouterr().out.strip().splitlines()[-1]
    refused(client.get("/api/recalculations", headers=bearer(token)), 401, "unauthorized")
    assert main(["staff", "revoke", "alice"]) == 0
    refused(client.get("/api/recalculations", headers=bearer(new)), 401, "unauthorized")
    assert main(["staff", "revoke", "alice"]) == 2  # no longer active: one line, no traceback
    assert "no active staff member" in capsys.readouterr().err
    assert main(["staff", "add", "admin", "--role", "support"]) == 2


def test_a_personal_token_met_by_a_database_failure_is_503_with_retry_after(client, monkeypatch):
    token = add_staff(client, "dora", "support")

    def database_gone(*_):
        raise psycopg.OperationalError("connection refused")

    monkeypatch.setattr("app.staff.store.holder_of", database_gone)
    answer = client.get("/api/recalculations", headers=bearer(token))

    refused(answer, 503, "database_unavailable")
    assert answer.headers["retry-after"]


def readme_staff_commands() -> list[list[str]]:
    """The `postback-ledger staff …` lines of README's staff section, as arguments, with the
    commands its comments offer instead (`# or: staff revoke olga / staff erase olga`)."""
    text = (REPOSITORY / "README.md").read_text()
    section = text[text.index("## Staff, roles and who did what") :]
    section = section[: section.index("\n## ", 1)]
    commands = []
    for line in section.splitlines():
        if line.startswith(".venv/bin/postback-ledger staff"):
            command, _, comment = line.partition("#")
            commands.append(shlex.split(command)[1:])
            if "or:" in comment:
                commands += [shlex.split(c) for c in comment.split("or:")[1].split("/")]
    return commands


def test_the_readme_staff_commands_run_as_written(client, database, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database.url())
    commands = readme_staff_commands()
    assert [c[:2] for c in commands] == [
        ["staff", "add"], ["staff", "list"], ["staff", "rotate"], ["staff", "revoke"],
        ["staff", "erase"],
    ]  # fmt: skip

    for command in commands:
        assert main(command) == 0, command
        out = capsys.readouterr().out.strip().splitlines()
        if command[1] in ("add", "rotate"):  # the token, alone on the last line, works
            token = out[-1]
            assert client.get("/api/recalculations", headers=bearer(token)).status_code == 200
    assert staff_rows(database) == []  # erased
