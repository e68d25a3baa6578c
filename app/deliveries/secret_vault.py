"""Webmaster postback signing secrets, kept out of the event store and the delivery rows.

Signing needs the secret itself (HMAC), so a digest alone would not do; but the event store is
append-only and copied into every backup, and delivery rows are read by support. So at catalog
apply the targets' events record only a keyed reference to each secret (`hmac-sha256:<hex>`,
enough to see that a secret changed), and the secret is kept encrypted (Fernet) in
`target_secrets`, a plain table that can be re-encrypted or erased. The sender decrypts when it
signs. Both keys are derived from the signing key (`LEDGER_SIGNING_KEY`, else `signing-key` in
`LEDGER_DATA_DIR`), which is never in the database: a dump of it reveals no secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable
from functools import cached_property

import psycopg
from cryptography.fernet import Fernet, InvalidToken

from app.eventstore.database import take_schema_turn

log = logging.getLogger(__name__)

REFERENCE_PREFIX = "hmac-sha256:"
CREATE_TABLE = (
    "CREATE TABLE IF NOT EXISTS target_secrets (reference text PRIMARY KEY,"
    " sealed text NOT NULL, stored_at timestamptz NOT NULL DEFAULT now())"
)


def is_reference(value: str | None) -> bool:
    return bool(value) and value.startswith(REFERENCE_PREFIX)


def _derived(signing_key: str, purpose: str) -> bytes:
    """One key per purpose, so the fingerprint never helps against the encryption."""
    message = f"postback-ledger:webmaster-postback-secrets:{purpose}".encode()
    return hmac.new(signing_key.encode(), message, hashlib.sha256).digest()


class TargetSecrets:
    """`reference(secret)` for the events, `keep` at apply, `revealed` when signing."""

    def __init__(self, signing_key: str | Callable[[], str]) -> None:
        """`signing_key`, or how to get it when first needed (it may make the key file)."""
        self._signing_key = signing_key

    @cached_property
    def _fingerprint_key(self) -> bytes:
        return _derived(self._key(), "fingerprint")

    @cached_property
    def _fernet(self) -> Fernet:
        return Fernet(base64.urlsafe_b64encode(_derived(self._key(), "encrypt")))

    def _key(self) -> str:
        key = self._signing_key
        return key if isinstance(key, str) else key()

    def reference(self, secret: str) -> str:
        digest = hmac.new(self._fingerprint_key, secret.encode(), hashlib.sha256).hexdigest()
        return REFERENCE_PREFIX + digest

    def keep(self, cursor: psycopg.Cursor, secrets: Iterable[str]) -> None:
        """Store each secret encrypted under its reference (again: a key change re-seals)."""
        take_schema_turn(cursor)  # two applies at once must not run the DDL together
        cursor.execute(CREATE_TABLE)
        rows = [(self.reference(s), self._fernet.encrypt(s.encode()).decode()) for s in secrets]
        if rows:
            cursor.executemany(
                "INSERT INTO target_secrets (reference, sealed) VALUES (%s, %s)"
                " ON CONFLICT (reference) DO UPDATE SET sealed = excluded.sealed,"
                " stored_at = now()",
                rows,
            )

    def revealed(self, cursor: psycopg.Cursor) -> dict[str, str]:
        """Every secret this key can open, by reference (one row per distinct secret)."""
        found = {}
        for row in cursor.execute("SELECT reference, sealed FROM target_secrets").fetchall():
            try:
                found[row["reference"]] = self._fernet.decrypt(row["sealed"].encode()).decode()
            except InvalidToken:
                log.error(
                    "webmaster postback secret %s cannot be decrypted with the signing key"
                    " (changed?): apply the catalog again to re-seal it",
                    row["reference"],
                )
        return found
