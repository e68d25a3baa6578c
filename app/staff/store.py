"""The staff and their personal tokens: a plain table beside the event store, not events.

A token is stored only as its SHA-256 digest (tokens are 32 random bytes, so no salt or slow hash
is needed: nothing can be guessed from the digest). Revoking clears the digest at once, and the
row can be erased outright (`erase`), which events could not be: people leave, and their secret
(and, on request, their name) must be able to go. Every request with a personal token looks its
digest up here (one indexed read), so a revocation holds in every worker the moment it commits.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg

from app.staff.roles import STAFF_ROLES

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS staff (
    name text PRIMARY KEY, role text NOT NULL, token_digest text UNIQUE,
    created_at timestamptz NOT NULL, created_by text NOT NULL,
    rotated_at timestamptz, revoked_at timestamptz, revoked_by text)""",
)
# A name: no control character (C0, DEL, C1) anywhere, no space at either end, at most NAME_MAX
# long. Explicit ranges only: `\s` means other characters in Python than in JSON Schema's regex.
NAME_PATTERN = r"^[^\x00-\x20\x7f-\x9f]([^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\x9f])?$"
NAME_MAX = 100
TOKEN_PREFIX = "pls_"  # tells a personal token from the shared admin token at a glance


class StaffError(ValueError):
    """A refused staff change: `code` is the API's error code (`conflict`, `not_found`, …)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Member:
    name: str
    role: str
    created_at: datetime
    created_by: str
    rotated_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def create_tables(cursor: psycopg.Cursor) -> None:
    for statement in SCHEMA:
        cursor.execute(statement)


def digest(token: str) -> str:
    return hashlib.sha256(token.strip().encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def holder_of(cursor: psycopg.Cursor, token: str) -> tuple[str, str] | None:
    """(name, role) of the active member holding `token`, or None (unknown or revoked)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = cursor.execute(
        "SELECT name, role FROM staff WHERE token_digest = %s AND revoked_at IS NULL",
        (digest(token),),
    ).fetchone()
    return None if row is None else (row["name"], row["role"])


def check(name: str, role: str | None = None) -> None:
    """The rule the API's schema states too (`NAME_PATTERN`, whose `$` is JSON Schema's: the
    very end, where Python's would also allow a last newline)."""
    if len(name) > NAME_MAX or not re.fullmatch(NAME_PATTERN, name):
        raise StaffError("bad_request", "a name is 1 to 100 characters, no control character, "
                         "no space at either end")  # fmt: skip
    if role is not None and role not in STAFF_ROLES:
        raise StaffError("bad_request", f"role must be one of {', '.join(STAFF_ROLES)}")


def add(
    cursor: psycopg.Cursor, name: str, role: str, by: str, reserved: Collection[str] = ()
) -> str:
    """Add `name` with `role`; their new token (shown once, stored only as its digest).

    A revoked member's name can be given again (a new token, the new role). `reserved`: the
    admin tokens' names, which a member may not take (an author's name must say who it was)."""
    check(name, role)
    if name in reserved:
        raise StaffError("conflict", f"{name!r} is the name of an admin token; choose another")
    token = new_token()
    row = cursor.execute(
        """INSERT INTO staff (name, role, token_digest, created_at, created_by)
        VALUES (%s, %s, %s, %s, %s)
        ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role,
            token_digest = EXCLUDED.token_digest, created_at = EXCLUDED.created_at,
            created_by = EXCLUDED.created_by, rotated_at = NULL, revoked_at = NULL,
            revoked_by = NULL
        WHERE staff.revoked_at IS NOT NULL
        RETURNING name""",
        (name, role, digest(token), _now(), by),
    ).fetchone()
    if row is None:
        raise StaffError("conflict", f"{name!r} is already a staff member (rotate or revoke)")
    return token


def rotate(cursor: psycopg.Cursor, name: str) -> str:
    """A new token for an active member; the old one stops working at once."""
    token = new_token()
    row = cursor.execute(
        "UPDATE staff SET token_digest = %s, rotated_at = %s "
        "WHERE name = %s AND revoked_at IS NULL RETURNING name",
        (digest(token), _now(), name),
    ).fetchone()
    if row is None:
        raise StaffError("not_found", f"no active staff member {name!r}")
    return token


def revoke(cursor: psycopg.Cursor, name: str, by: str) -> None:
    row = cursor.execute(
        "UPDATE staff SET token_digest = NULL, revoked_at = %s, revoked_by = %s "
        "WHERE name = %s AND revoked_at IS NULL RETURNING name",
        (_now(), by, name),
    ).fetchone()
    if row is None:
        raise StaffError("not_found", f"no active staff member {name!r}")


def erase(cursor: psycopg.Cursor, name: str) -> None:
    """Forget a member entirely (their token first of all). The names on past records stay."""
    if cursor.execute("DELETE FROM staff WHERE name = %s RETURNING name", (name,)).fetchone():
        return
    raise StaffError("not_found", f"no staff member {name!r}")


def members(
    cursor: psycopg.Cursor, after: str | None, limit: int, name: str | None = None
) -> list[Member]:
    """Members by name, after the name `after` (the cursor of the page before); or one `name`."""
    rows = cursor.execute(
        "SELECT name, role, created_at, created_by, rotated_at, revoked_at, revoked_by "
        "FROM staff WHERE (%(after)s::text IS NULL OR name > %(after)s) "
        "AND (%(name)s::text IS NULL OR name = %(name)s) ORDER BY name LIMIT %(limit)s",
        {"after": after, "name": name, "limit": limit},
    ).fetchall()
    return [Member(**row) for row in rows]


def _now() -> datetime:
    return datetime.now(UTC)
