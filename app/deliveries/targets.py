"""The postback targets in force at a position of the event log, as the notifier walks it.

An event is sent to the targets configured when it happened, not to those configured when the
notifier gets to it: a notifier catching up after downtime, or starting late on a new
deployment, sends what the webmasters had asked for at the time, and nothing from before a
webmaster had targets. The targets' aggregate is in the same log, so its version as of any
position is one indexed look-up away.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from app.deliveries.secret_vault import is_reference
from app.eventstore.application import LedgerApplication
from domain.webmaster_postbacks import PostbackTargets, WebmasterPostbacks

TARGETS_ID = WebmasterPostbacks.create_id()


class TargetsInForce:
    """`before(cursor, position)` at a page's start, then `passed(event)` for each event."""

    def __init__(self, app: LedgerApplication) -> None:
        self._app = app
        self.version = 0
        self.targets = PostbackTargets.none()
        self._version_before = sql.SQL(
            "SELECT coalesce(max(originator_version), 0) AS version FROM {}"
            " WHERE originator_id = %s AND notification_id < %s"
        ).format(sql.Identifier(app.events_table))

    def before(self, cursor: psycopg.Cursor, position: int) -> None:
        row = cursor.execute(self._version_before, (TARGETS_ID, position)).fetchone()
        self._load(row["version"])

    def passed(self, event) -> None:
        if event.originator_id == TARGETS_ID:
            self._load(event.originator_version)

    def _load(self, version: int) -> None:
        if version == self.version:
            return
        found = self._app.repository.get(TARGETS_ID, version=version) if version else None
        self.targets = found.targets() if found is not None else PostbackTargets.none()
        self.version = version


def first_position(app: LedgerApplication) -> sql.Composed:
    """Where a new notifier starts: just before the targets were first configured (nothing
    earlier can be sent), or at the end of the log when they never were."""
    return sql.SQL(
        "SELECT coalesce((SELECT min(notification_id) - 1 FROM {events}"
        " WHERE originator_id = {targets}), (SELECT max(notification_id) FROM {events}), 0)"
    ).format(events=sql.Identifier(app.events_table), targets=sql.Literal(str(TARGETS_ID)))


class CurrentSecrets:
    """Each target's signing secret as the catalog says now: an attempt made after a secret is
    rotated is signed with the new one, whether its delivery was queued before or after.
    `refresh(cursor)` costs one indexed look-up; the targets and the kept secrets
    (`app.deliveries.secret_vault`) are read again only when changed."""

    def __init__(self, app: LedgerApplication) -> None:
        self._app = app
        self._version = -1
        self._by_target: dict = {}
        self._revealed: dict[str, str] = {}
        self._latest = sql.SQL(
            "SELECT coalesce(max(originator_version), 0) AS version FROM {}"
            " WHERE originator_id = %s"
        ).format(sql.Identifier(app.events_table))

    def refresh(self, cursor: psycopg.Cursor) -> None:
        version = cursor.execute(self._latest, (TARGETS_ID,)).fetchone()["version"]
        if version == self._version:
            return
        found = self._app.repository.get(TARGETS_ID, version=version) if version else None
        targets = found.targets() if found is not None else PostbackTargets.none()
        groups = (*targets.by_webmaster.values(), *targets.by_flow.values())
        self._by_target = {
            target.id: target.secret_ref or target.secret for group in groups for target in group
        }
        keeper = self._app.target_secrets
        self._revealed = keeper.revealed(cursor) if keeper is not None else {}
        self._version = version

    def of(self, target, queued_with: str | None) -> str | None:
        """The target's secret now; the one it was queued with if it is no longer configured.
        Either is a reference to a kept secret, or a secret recorded in clear before."""
        found = self._by_target.get(target, queued_with)
        return self._revealed.get(found) if is_reference(found) else found
