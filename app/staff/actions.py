"""The audit log of people: every change anyone made through the API or the command line.

Beside the audit trail of events (what happened to leads and money), this says who asked for
it: one row per change with the person's name and role, how they asked (`api`, `cli`), what
they did (`POST /api/deliveries/{delivery_id}/resend`, `catalog apply`) and what it touched
(the path's ids, the query, the command's arguments).

How rows are written:
- API: `record_changes` (ASGI middleware) writes the row for every successful (< 400) non-GET
  request made with an admin or personal token, right after the handler committed its change
  and before the response's first byte leaves, so a client that got its answer finds the row.
  The answer's ids (`id`, `lead_id`, …) are kept with what the request named.
  It is a separate transaction: were the database to fail between the two, the change would
  stand without its row (logged as an error). A handler that writes its row in its own
  transaction (staff management does) sets `scope["action_recorded"]` and is not written twice.
- CLI: each changing command calls `record` right after its change commits.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import anyio
import msgspec
import psycopg
from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS actions (
    id bigserial PRIMARY KEY, at timestamptz NOT NULL, actor text NOT NULL, role text NOT NULL,
    via text NOT NULL, action text NOT NULL, touched jsonb NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS actions_by_actor ON actions (actor, id)",
    "CREATE INDEX IF NOT EXISTS actions_at ON actions (at)",
)
READS = ("GET", "HEAD", "OPTIONS")
SECRET_PARAMETERS = {"token"}
# The answer's ids kept in `touched["answer"]` (from answers up to ANSWER_BYTES long).
ANSWER_KEYS = ("id", "lead_id", "postback_id", "catalog_version", "original_id")
ANSWER_BYTES = 1 << 20


def create_tables(cursor: psycopg.Cursor) -> None:
    for statement in SCHEMA:
        cursor.execute(statement)


def record(
    cursor: psycopg.Cursor, actor: str, role: str, via: str, action: str, touched: dict
) -> None:
    cursor.execute(
        "INSERT INTO actions (at, actor, role, via, action, touched) "
        "VALUES (%s, %s, %s, %s, %s, %s)",
        (datetime.now(UTC), actor, role, via, action, msgspec.json.encode(touched).decode()),
    )


def newest_first(
    cursor: psycopg.Cursor,
    actor: str | None,
    start: datetime | None,
    end: datetime | None,
    before: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Actions newest first (by id), `start` <= at < `end`, with ids below `before`."""
    return cursor.execute(
        """SELECT id, at, actor, role, via, action, touched FROM actions
        WHERE (%(actor)s::text IS NULL OR actor = %(actor)s)
          AND (%(start)s::timestamptz IS NULL OR at >= %(start)s)
          AND (%(end)s::timestamptz IS NULL OR at < %(end)s)
          AND (%(before)s::bigint IS NULL OR id < %(before)s)
        ORDER BY id DESC LIMIT %(limit)s""",
        {"actor": actor, "start": start, "end": end, "before": before, "limit": limit},
    ).fetchall()


def touching(
    cursor: psycopg.Cursor, named: tuple[str, ...], key: str, values: list[str]
) -> dict[str, list[dict]]:
    """{value: the rows of the actions `named` whose `touched[key]` is that value, oldest
    first}."""
    found: dict[str, list[dict]] = {value: [] for value in values}
    if values:
        rows = cursor.execute(
            "SELECT actor, at, touched ->> %s AS value FROM actions "
            "WHERE action = ANY(%s) AND touched ->> %s = ANY(%s) ORDER BY id",
            (key, list(named), key, values),
        ).fetchall()
        for row in rows:
            found[row["value"]].append(row)
    return found


def record_changes(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: a row in `actions` for each successful change made with a token."""

    async def recording(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in READS or _a_postback(scope):
            await app(scope, receive, send)
            return

        held: list[Message] = []  # the answer's start, held until its body says what it made

        async def send_after_recording(message: Message) -> None:
            if message["type"] == "http.response.start" and _to_record(scope, message["status"]):
                held.append(message)
                return
            if held and message["type"] == "http.response.body":
                whole = not message.get("more_body", False)
                made = answer_ids(message.get("body", b"")) if whole else {}
                await anyio.to_thread.run_sync(_record_request, scope, made)
                await send(held.pop())
            await send(message)

        await app(scope, receive, send_after_recording)

    return recording


def _a_postback(scope: Scope) -> bool:
    """Advertisers' postbacks carry site tokens, never a person's: not even looked at."""
    return scope["path"].startswith("/api/site/")


def _to_record(scope: Scope, status: int) -> bool:
    return status < 400 and bool(scope.get("admin_name")) and not scope.get("action_recorded")


def answer_ids(body: bytes) -> dict[str, Any]:
    """The ids a JSON answer names at its top (`id`, `lead_id`, …): what the change made."""
    if not body.startswith(b"{") or len(body) > ANSWER_BYTES:
        return {}
    try:
        answer = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return {}
    return {key: answer[key] for key in ANSWER_KEYS if isinstance(answer.get(key), str | int)}


def _record_request(scope: Scope, made: dict[str, Any]) -> None:
    services = getattr(scope["app"].state, "services", None)
    action, touched = request_action(scope)
    if made:
        touched["answer"] = made
    try:
        with services.ledger.recorder.datastore.transaction(commit=True) as cursor:
            role = scope.get("admin_role", "owner")
            record(cursor, scope["admin_name"], role, "api", action, touched)
    except Exception:  # the change stands; the missing row must be seen
        log.exception("could not record the action %s %s", scope["method"], scope["path"])


def request_action(scope: Scope) -> tuple[str, dict]:
    """(`METHOD /path/{name}`, {the path's parameters…, "path", "query"}) of a request."""
    path: str = scope["path"]
    parameters = {name: str(value) for name, value in (scope.get("path_params") or {}).items()}
    template = path
    for name, value in parameters.items():
        template = template.replace(f"/{value}", f"/{{{name}}}", 1)
    query = _query_of(scope)
    touched = {**parameters, "path": path}
    if query:
        touched["query"] = query
    return f"{scope['method']} {template}", touched


def _query_of(scope: Scope) -> dict[str, str]:
    from urllib.parse import parse_qsl

    text = scope.get("query_string", b"").decode("latin-1")
    return {k: v for k, v in parse_qsl(text) if k not in SECRET_PARAMETERS}
