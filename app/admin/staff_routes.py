"""`/api/staff` (the owner manages personal tokens) and `/api/actions` (who changed what).

A new or rotated token is in the answer once and nowhere else: only its digest is stored
(`app.staff.store`). Each staff change writes its row of the actions log in its own transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from app.auth import require_admin
from app.openapi.errors import ADMIN_ROUTE, error_responses
from app.staff import actions, store

PAGE = 100


Name = Annotated[str, msgspec.Meta(min_length=1, max_length=store.NAME_MAX,
                                    pattern=store.NAME_PATTERN)]  # fmt: skip


class StaffIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    role: Literal["support", "operator", "finance"]


class MemberOut(msgspec.Struct):
    name: str
    role: str
    active: bool
    created_at: datetime
    created_by: str
    rotated_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None


class StaffPage(msgspec.Struct):
    items: list[MemberOut]
    next_cursor: str | None


class TokenOut(msgspec.Struct):
    """A personal token, shown this once: hand it to its holder."""

    name: str
    role: str
    token: str


class ActionOut(msgspec.Struct):
    id: int
    at: datetime
    actor: str
    role: str
    via: str
    action: str
    touched: dict[str, Any]


class ActionPage(msgspec.Struct):
    items: list[ActionOut]
    next_cursor: str | None


def _transaction(request: Request):
    return request.app.state.services.ledger.recorder.datastore.transaction(commit=True)


def _change(request: Request, action: str, name: str, change) -> Any:
    """Run `change(cursor, by)` and its actions row in one transaction; 4xx on a refusal."""
    by = request.scope["admin_name"]  # type: ignore[typeddict-item]
    try:
        with _transaction(request) as cursor:
            result = change(cursor, by)
            actions.record(cursor, by, request.scope["admin_role"], "api", action,  # type: ignore[typeddict-item]
                           {"staff": name})  # fmt: skip
    except store.StaffError as refusal:
        if refusal.code == "not_found":
            raise NotFoundException(refusal.message) from refusal
        raise ClientException(refusal.message, status_code=_STATUS[refusal.code]) from refusal
    request.scope["action_recorded"] = True  # type: ignore[typeddict-unknown-key]
    return result


_STATUS = {"bad_request": 400, "conflict": 409}
_ONE = error_responses(*ADMIN_ROUTE, "not_found")


class StaffController(Controller):
    """Staff members and their personal tokens (owner only)."""

    path = "/api/staff"
    guards = [require_admin]
    opt = {"role": "owner"}
    tags = ["staff"]

    @get(
        sync_to_thread=True,
        summary="Staff members by name",
        responses=error_responses(*ADMIN_ROUTE),
    )
    def list_staff(
        self,
        request: Request,
        cursor: Annotated[
            str | None, QueryParameter(description="next_cursor of the page before")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = PAGE,
    ) -> StaffPage:
        with _transaction(request) as db:
            found = store.members(db, cursor, limit + 1)
        items = [MemberOut(active=m.active, **m.__dict__) for m in found[:limit]]
        return StaffPage(items, items[-1].name if len(found) > limit else None)

    @post(
        sync_to_thread=True,
        status_code=201,
        summary="Add a staff member: their personal token, shown once",
        responses=error_responses(*ADMIN_ROUTE, "bad_request", "conflict"),
    )
    def add_member(self, request: Request, data: JSONBody[StaffIn]) -> TokenOut:
        reserved = request.app.state.services.settings.admin_tokens.keys()
        token = _change(
            request, "staff add", data.name,
            lambda cursor, by: store.add(cursor, data.name, data.role, by, reserved),
        )  # fmt: skip
        return TokenOut(data.name, data.role, token)

    @post("/{name:str}/rotate", sync_to_thread=True, status_code=200, responses=_ONE,
          summary="A new token for a member; the old one stops working at once")  # fmt: skip
    def rotate(self, request: Request, name: FromPath[str]) -> TokenOut:
        token = _change(request, "staff rotate", name, lambda cursor, _: store.rotate(cursor, name))
        return TokenOut(name, _role_of(request, name), token)

    @post("/{name:str}/revoke", sync_to_thread=True, status_code=200, responses=_ONE,
          summary="Revoke a member's token, at once in every worker")  # fmt: skip
    def revoke(self, request: Request, name: FromPath[str]) -> MemberOut:
        _change(request, "staff revoke", name, lambda cursor, by: store.revoke(cursor, name, by))
        return _member(request, name)

    @delete("/{name:str}", sync_to_thread=True, responses=_ONE,
            summary="Erase a member (token and row); names on past records stay")  # fmt: skip
    def erase(self, request: Request, name: FromPath[str]) -> None:
        _change(request, "staff erase", name, lambda cursor, _: store.erase(cursor, name))


def _member(request: Request, name: str) -> MemberOut:
    with _transaction(request) as cursor:
        member = next(iter(store.members(cursor, None, 1, name)), None)
    if member is None:
        raise NotFoundException(f"no staff member {name!r}")
    return MemberOut(active=member.active, **member.__dict__)


def _role_of(request: Request, name: str) -> str:
    return _member(request, name).role


class ActionsController(Controller):
    """The audit log of people: every change made through the API or the command line."""

    path = "/api/actions"
    guards = [require_admin]
    opt = {"role": "support"}
    tags = ["staff"]

    @get(sync_to_thread=True, summary="Every change anyone made, newest first",
         responses=error_responses(*ADMIN_ROUTE))  # fmt: skip
    def list_actions(
        self,
        request: Request,
        actor: FromQuery[str | None] = None,
        from_: Annotated[datetime | None, QueryParameter(name="from")] = None,
        to: FromQuery[datetime | None] = None,
        cursor: Annotated[
            int | None, QueryParameter(ge=1, description="next_cursor of the page before")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = PAGE,
    ) -> ActionPage:
        with _transaction(request) as db:
            rows = actions.newest_first(db, actor or None, from_, to, cursor, limit + 1)
        items = [ActionOut(**row) for row in rows[:limit]]
        return ActionPage(items, str(items[-1].id) if len(rows) > limit else None)
