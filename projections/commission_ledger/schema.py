"""The commission ledger's tables: the shared contract that the audit tools read as well.

Tables are created by unqualified name, so the same statements build the live tables or, with
the search path pointing at a rebuild's own schema, their replacements.

Columns added after the first release are added at start (`ADD COLUMN IF NOT EXISTS`, as the
deliveries and reconciliation tables do): `effective_at` (when the fact an entry reflects
happened) and `statement_line` (the statement line that settled the change). Entries booked
before they existed read NULL there; readers take `recorded_at` for a missing `effective_at`, and
a rebuild fills both.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

ENTRIES_TABLE = "ledger_entries"
LEADS_TABLE = "ledger_leads"
BALANCES_TABLE = "ledger_balances"
LEDGER_TABLES = (ENTRIES_TABLE, LEADS_TABLE, BALANCES_TABLE)

ENTRY_COLUMNS = (
    "posting_id", "lead_id", "position", "event_type", "postback_id", "rule_version", "account",
    "bucket", "amount", "currency", "reverses", "recorded_at", "recalculation_id", "effective_at",
    "statement_line",
)  # fmt: skip
ENTRY_TYPES = (
    "uuid", "uuid", "int8", "text", "uuid", "text", "text",
    "text", "numeric", "text", "bool", "timestamptz", "uuid", "timestamptz", "uuid",
)  # fmt: skip

_ENTRIES = """CREATE TABLE IF NOT EXISTS ledger_entries (
    id bigserial PRIMARY KEY,
    posting_id uuid NOT NULL,
    lead_id uuid NOT NULL,
    position bigint NOT NULL,
    event_type text NOT NULL,
    postback_id uuid,
    rule_version text NOT NULL,
    account text NOT NULL,
    bucket text NOT NULL,
    amount numeric NOT NULL,
    currency text NOT NULL,
    reverses boolean NOT NULL,
    recorded_at timestamptz NOT NULL,
    recalculation_id uuid,
    effective_at timestamptz,
    statement_line uuid)"""

_ADDED_COLUMNS = (
    "ALTER TABLE ledger_entries ADD COLUMN IF NOT EXISTS effective_at timestamptz",
    "ALTER TABLE ledger_entries ADD COLUMN IF NOT EXISTS statement_line uuid",
)

_BALANCES = """CREATE TABLE IF NOT EXISTS ledger_balances (
    account text NOT NULL,
    bucket text NOT NULL,
    currency text NOT NULL,
    amount numeric NOT NULL,
    PRIMARY KEY (account, bucket, currency))"""

# An entry as a point (position, seconds since the epoch of its booking time, UTC): immutable, so
# it can be indexed; float seconds are exact to about a microsecond, so a query over it widens its
# box by a second and then checks the real columns.
LATE_POINT = "point(position::float8, date_part('epoch', recorded_at AT TIME ZONE 'UTC'))"

# Reading a lead's or an account's entries in order, and entries by time.
_ENTRY_INDEXES = {
    "ledger_entries_lead": "(lead_id, id)",
    "ledger_entries_account": "(account, id)",
    "ledger_entries_recorded_at": "(recorded_at)",
    # An account's entries after a close, for balances as of a moment (projections.periods.as_of):
    # covering, so summing a month of them reads the index alone (once vacuum marked the pages)
    "ledger_entries_account_recorded_at": "(account, recorded_at)"
    " INCLUDE (currency, bucket, amount)",
    # Entries by (position, booking time) as a point: those booked before a close's `until` but
    # reached after it (position past `covers_through`) are a box, found without a scan.
    "ledger_entries_position_time": f"USING gist ({LATE_POINT})",
}


def create_ledger_tables(cursor: psycopg.Cursor) -> None:
    cursor.execute(_ENTRIES)
    for statement in _ADDED_COLUMNS:
        cursor.execute(statement)
    cursor.execute(_BALANCES)
    for name, columns in _ENTRY_INDEXES.items():
        cursor.execute(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON ledger_entries " + columns).format(
                sql.Identifier(name)
            )
        )
    cursor.execute(
        "CREATE INDEX IF NOT EXISTS ledger_leads_offer_goal ON ledger_leads (offer, goal)"
    )
