"""A webmaster's signing secret is in no table of the database (the event store, the delivery
rows, anything a dump would copy), yet every attempt is signed with it."""

from __future__ import annotations

import psycopg
from psycopg import sql

from app.deliveries.secret_vault import TargetSecrets
from tests.deliveries.test_content import _independent_signature_check
from tests.delivery_controls import (
    configure,
    notifying,
    postbacks_toml,
    received_within,
    receiving,
    settled,
)
from tests.ledger_controls import created_lead

SECRET = "kept-apart-s3cr3t-Ω"


def _dump_text(database) -> str:
    """Every text-like column of every table of ours, as a dump would hold it (bytea decoded)."""
    parts = []
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        columns = connection.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns"
            " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        for schema, table, column in columns:
            query = sql.SQL("SELECT {}::text FROM {}.{}").format(
                sql.Identifier(column), sql.Identifier(schema), sql.Identifier(table)
            )
            for (value,) in connection.execute(query).fetchall():
                parts.append(value or "")
        events = connection.execute("SELECT state FROM ledger_events").fetchall()
    parts += [bytes(state).decode("utf-8", "replace") for (state,) in events]
    return "\n".join(parts)


def test_a_target_secret_is_nowhere_in_the_database_and_still_signs(demo, services):
    with receiving((200, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url("/pb?st={status}"), secret=SECRET))
        created_lead(demo, exto="kept")
        settled(demo, 1)
        [received] = received_within(receiver, 1)
    _independent_signature_check(received, SECRET)
    dumped = _dump_text(services.address)
    assert "/pb?st={status}" in dumped  # the scan reads the events and the delivery rows
    for form in (SECRET, SECRET.encode().hex(), "kept-apart-s3cr3t"):
        assert form not in dumped
    with psycopg.connect(services.address.conninfo()) as connection:
        [(kept,)] = connection.execute("SELECT count(*) FROM target_secrets").fetchall()
        [(queued_with,)] = connection.execute("SELECT secret FROM deliveries").fetchall()
    assert kept == 1 and queued_with.startswith("hmac-sha256:")


def test_applying_the_same_secret_again_records_nothing_new(demo, services):
    url = "https://tracker.example/pb?st={status}"
    configure(demo, postbacks_toml(url, secret=SECRET))
    version = services.ledger.postback_targets_aggregate().version
    configure(demo, postbacks_toml(url, secret=SECRET))
    assert services.ledger.postback_targets_aggregate().version == version
    configure(demo, postbacks_toml(url, secret="rotated"))
    assert services.ledger.postback_targets_aggregate().version == version + 1


def test_a_new_signing_key_cannot_open_the_old_rows_until_the_catalog_is_applied_again(services):
    old, new = TargetSecrets("old-signing-key"), TargetSecrets("new-signing-key")
    assert old.reference(SECRET) != new.reference(SECRET)  # so the next apply records again
    with services.ledger.recorder.datastore.transaction(commit=True) as cursor:
        old.keep(cursor, [SECRET])
        assert old.revealed(cursor) == {old.reference(SECRET): SECRET}
        assert new.revealed(cursor) == {}  # logged, not raised: the sender goes on
        new.keep(cursor, [SECRET])  # what applying the catalog again does
        assert new.revealed(cursor)[new.reference(SECRET)] == SECRET
