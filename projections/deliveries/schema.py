"""The delivery tables: deliveries queued for webmasters, every attempt, and each URL's health.

`deliveries` holds one row per (lead event, target): what to send and where the delivery stands.
`delivery_attempts` keeps every attempt with its answer, for support. `delivery_targets` counts
each URL's consecutive failures and says whether it is suspended. Rows are queued by the
notifier in the transaction that advances its tracking position, so they are never rebuilt:
they record what was sent, not a view of the events.

Order per lead: the deliveries of one lead to one target form a chain in the order of the lead's
events (their log positions, which follow the lead's versions). Only a chain's head is ever
claimed (`queue.claim`); `deliveries_chain` answers "is anything earlier still pending, or is
something of this chain in flight?" with one index probe per candidate.

The support page asks, per URL, how many deliveries wait and what its last error was: each is an
index walk of that URL's own rows (`deliveries_waiting`, `delivery_attempts_failed`), so a page
of URLs costs the same on a queue of any size. An attempt carries its delivery's target for this
(set when it is recorded; attempts stored before the column existed get it once, at start).
"""

from __future__ import annotations

import psycopg

_TABLES = (
    """CREATE TABLE IF NOT EXISTS deliveries (
        id uuid PRIMARY KEY, lead uuid NOT NULL, webmaster text NOT NULL, event text NOT NULL,
        position bigint NOT NULL, event_at timestamptz NOT NULL, target uuid NOT NULL,
        url text NOT NULL, method text NOT NULL, body bytea NOT NULL, content_type text,
        secret text, host text NOT NULL, state text NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0, retry_from integer NOT NULL DEFAULT 0,
        in_flight boolean NOT NULL DEFAULT false, next_attempt_at timestamptz,
        queued_at timestamptz NOT NULL DEFAULT now(), delivered_at timestamptz)""",
    """CREATE TABLE IF NOT EXISTS delivery_attempts (
        delivery uuid NOT NULL, target uuid NOT NULL, attempt integer NOT NULL,
        at timestamptz NOT NULL,
        url text NOT NULL, method text NOT NULL, http_status integer, error text,
        response text NOT NULL DEFAULT '', duration_ms double precision NOT NULL,
        outcome text NOT NULL, next_attempt_at timestamptz, PRIMARY KEY (delivery, attempt))""",
    """CREATE TABLE IF NOT EXISTS delivery_targets (
        id uuid PRIMARY KEY, url text NOT NULL, consecutive_failures integer NOT NULL DEFAULT 0,
        suspended_at timestamptz)""",
    # The sender's question: what is due now. Only pending rows are ever asked for.
    "CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (next_attempt_at) "
    "WHERE state = 'pending'",
    "CREATE INDEX IF NOT EXISTS deliveries_lead ON deliveries (lead)",
    "CREATE INDEX IF NOT EXISTS deliveries_webmaster ON deliveries (webmaster, queued_at)",
    # (queued_at) alone is deliveries_listed's first column: a second index of it only cost an
    # entry per queued delivery. Databases made before lose it here.
    "DROP INDEX IF EXISTS deliveries_queued",
    # Added after the first release: databases created before get them here.
    "ALTER TABLE deliveries ADD COLUMN IF NOT EXISTS resent_at timestamptz",
    "ALTER TABLE deliveries ADD COLUMN IF NOT EXISTS url_secret text",
    "CREATE INDEX IF NOT EXISTS deliveries_listed ON deliveries (queued_at, position, id)",
    # Webmaster postback secrets, encrypted (app.deliveries.secret_vault; also made at apply).
    "CREATE TABLE IF NOT EXISTS target_secrets (reference text PRIMARY KEY,"
    " sealed text NOT NULL, stored_at timestamptz NOT NULL DEFAULT now())",
    # The chain check of every claim (an earlier pending one of the lead and target?) and the
    # support page's count of what waits per URL, in one index. Two (one on target alone for
    # the count) let PostgreSQL, planning from estimates of a queue that filled faster than it
    # was analysed, check each chain through the target's index: 1,522 rows read per candidate,
    # 31 ms per claim at 2,000 queued, where the chain's index reads one.
    "DROP INDEX IF EXISTS deliveries_chain",
    "CREATE INDEX IF NOT EXISTS deliveries_pending_chain ON deliveries (target, lead, position)"
    " INCLUDE (in_flight) WHERE state = 'pending'",
)


# The support page's two questions per URL. Without them, 50 URLs over 200,000 deliveries cost
# 2.4 s: each URL's last error scanned and sorted every failed attempt of every URL, and each
# waiting count read every pending row of the queue.
_SUPPORT_INDEXES = (
    "DROP INDEX IF EXISTS deliveries_waiting",  # its count is deliveries_pending_chain's
    "CREATE INDEX IF NOT EXISTS delivery_attempts_failed ON delivery_attempts (target, at)"
    " WHERE outcome IN ('retry', 'failed')",
)

# Tables made before attempts carried their target: the column is added and filled in one pass,
# once (the next start finds it there; a second process starting at once fills nothing).
_ATTEMPT_TARGETS = """DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'delivery_attempts'::regclass
            AND attname = 'target' AND NOT attisdropped) THEN
        ALTER TABLE delivery_attempts ADD COLUMN IF NOT EXISTS target uuid;
        UPDATE delivery_attempts a SET target = d.target FROM deliveries d
            WHERE a.target IS NULL AND d.id = a.delivery;
        ALTER TABLE delivery_attempts ALTER COLUMN target SET NOT NULL;
    END IF;
END $$"""


def create_tables(cursor: psycopg.Cursor) -> None:
    for statement in (*_TABLES, _ATTEMPT_TARGETS, *_SUPPORT_INDEXES):
        cursor.execute(statement)
