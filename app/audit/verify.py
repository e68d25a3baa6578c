"""`postback-ledger audit verify`: recompute the hash chain from the event store, find tampering.

Walks the stored events and the recorded chain side by side, in position order, each through a
server-side cursor (a chain of millions of events never sits in memory), and stops at the first
link that does not hold: an event changed, deleted or inserted after it was chained.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from projections.audit_chain.projection import CHAIN_TABLE, GENESIS, HASH_SIZE, link_hash


@dataclass(frozen=True)
class BrokenLink:
    """Where the chain first fails, and what is wrong there."""

    position: int
    problem: str


@dataclass(frozen=True)
class ChainReport:
    """The outcome of a verification."""

    links_checked: int
    head_position: int
    head_hash: str
    not_yet_chained: int
    broken: BrokenLink | None

    @property
    def intact(self) -> bool:
        return self.broken is None


def verify_chain(conninfo: str, events_table: str = "ledger_events") -> ChainReport:
    with psycopg.connect(conninfo, row_factory=dict_row) as connection, connection.transaction():
        connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        stored = _rows(
            connection,
            "stored",
            sql.SQL(
                "SELECT notification_id AS position, originator_id, originator_version, topic, "
                "state, notification_id FROM {} ORDER BY notification_id"
            ).format(sql.Identifier(events_table)),
        )
        pages = _rows(
            connection,
            "chain",
            sql.SQL("SELECT positions, hashes FROM {} ORDER BY position").format(
                sql.Identifier(CHAIN_TABLE)
            ),
            itersize=20,  # a page row holds up to a runner's page of links
        )
        return _compare(stored, _links(pages))


def _links(pages: Iterator[dict]) -> Iterator[dict]:
    """Each link of the chain's page rows as {"position", "hash"}, in position order."""
    for page in pages:
        hashes = bytes(page["hashes"])
        for index, position in enumerate(page["positions"]):
            yield {
                "position": position,
                "hash": hashes[index * HASH_SIZE : (index + 1) * HASH_SIZE],
            }


def _rows(
    connection: psycopg.Connection, name: str, statement: sql.Composed, itersize: int = 5000
) -> Iterator[dict]:
    cursor = connection.cursor(name=name)
    cursor.itersize = itersize
    cursor.execute(statement)
    return iter(cursor)


def _compare(stored: Iterator[dict], chain: Iterator[dict]) -> ChainReport:
    previous, checked, head = GENESIS, 0, 0
    row, link = next(stored, None), next(chain, None)
    while link is not None:
        broken = _check(row, link, previous)
        if broken is not None:
            return ChainReport(checked, head, previous.hex(), 0, broken)
        previous, head, checked = bytes(link["hash"]), link["position"], checked + 1
        row, link = next(stored, None), next(chain, None)
    unchained = 0 if row is None else 1 + sum(1 for _ in stored)
    return ChainReport(checked, head, previous.hex(), unchained, None)


def _check(row: dict | None, link: dict, previous: bytes) -> BrokenLink | None:
    if row is None or row["position"] > link["position"]:
        return BrokenLink(
            link["position"], "the chain has a link here but the event store has no event: deleted"
        )
    if row["position"] < link["position"]:
        return BrokenLink(
            row["position"],
            f"event {row['originator_id']} v{row['originator_version']} ({row['topic']}) is in "
            "the event store but was never chained: inserted afterwards",
        )
    if link_hash(previous, row) != bytes(link["hash"]):
        return BrokenLink(
            row["position"],
            f"event {row['originator_id']} v{row['originator_version']} ({row['topic']}) no "
            "longer matches the hash recorded when it was stored: altered afterwards "
            "(or the chain row itself was changed)",
        )
    return None


def describe(report: ChainReport) -> list[str]:
    lines = [
        f"links checked: {report.links_checked}",
        f"chain head: position {report.head_position}, hash {report.head_hash}",
    ]
    if report.not_yet_chained:
        lines.append(
            f"{report.not_yet_chained} newer events are not chained yet "
            "(the projections have not processed them)"
        )
    if report.broken is None:
        lines.append("OK: every chained event is as it was stored")
    else:
        lines.append(f"BROKEN at position {report.broken.position}: {report.broken.problem}")
    return lines
