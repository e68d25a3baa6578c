"""The hold-release follower as it runs: how often it checks by default, and the leader lock of
its own that lets one release per database while the notifier leads by another (issue 21)."""

from __future__ import annotations

import psycopg

from app.deliveries.service import LOCK_KEY as NOTIFIER_LOCK
from app.holds.follower import LOCK_KEY as HOLDS_LOCK
from app.settings import Settings
from tests.fault_controls import wait_until
from tests.hold_controls import (
    Clock,
    follower,
    hold_row,
    lead_on_hold,
    releases_of,
    running,
    with_hold_rule,
)


def _try_lock(connection: psycopg.Connection, key: int) -> bool:
    return connection.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]


def test_due_holds_are_checked_every_60_seconds_unless_ledger_hold_check_seconds_says():
    assert Settings.from_env({}).hold_check_seconds == 60
    assert Settings.from_env({"LEDGER_HOLD_CHECK_SECONDS": "0.5"}).hold_check_seconds == 0.5


def test_the_follower_leads_by_a_lock_of_its_own_and_a_second_one_stands_by(demo, services):
    with_hold_rule(demo)
    lead_id = lead_on_hold(demo, "led")
    first = follower(services, Clock(None))
    first.catch_up()
    due = Clock(hold_row(services, lead_id)["due_at"])
    first._clock = due
    with psycopg.connect(services.address.conninfo(), autocommit=True) as other:
        assert _try_lock(other, NOTIFIER_LOCK)  # the notifier's lock, taken elsewhere
        with running(first):
            assert wait_until(lambda: first.is_leader and releases_of(services, lead_id), 30)
            assert not _try_lock(other, HOLDS_LOCK)
            second = follower(services, due)
            second._lead_while_holding_lock()  # finds the lock taken: stands by and returns
            assert not second.is_leader and not second.released
    assert len(releases_of(services, lead_id)) == 1


class _BrokenReleaser:
    """A releaser with a bug: asking it what is due raises."""

    def due(self, now, after):
        raise KeyError("a releaser's bug")


def test_an_error_no_retry_can_mend_stops_the_follower_and_its_process_ends_with_1(demo, services):
    import threading

    from app.cli.following import wait_for

    broken = follower(services, Clock(None), releaser=_BrokenReleaser())
    with running(broken):
        assert wait_until(lambda: broken.failure is not None, 30), "the follower never said so"
        assert isinstance(broken.failure, KeyError) and not broken.is_leader
        assert wait_for(threading.Event(), "hold follower", lambda: broken.failure) == 1


def test_under_a_steady_stream_of_commits_the_follower_catches_up_at_most_once_a_second(
    demo, services
):
    """A NOTIFY comes with every commit of the writer; a page per NOTIFY made the follower commit
    more often than the writer under load. It reads a page at most once a second, and still
    ends up with every hold."""
    import time
    from datetime import UTC, datetime

    from app.holds.follower import TRACKING_INTERVAL_SECONDS

    with_hold_rule(demo)
    watcher = follower(services, Clock(datetime.now(UTC)))
    pages = []
    read_page = watcher.runner.run_once
    watcher.runner.run_once = lambda: pages.append(read_page()) or pages[-1]
    with running(watcher):
        assert wait_until(lambda: watcher.is_leader, 30)
        began = time.monotonic()
        last = None
        while time.monotonic() - began < 3 * TRACKING_INTERVAL_SECONDS:
            last = lead_on_hold(demo, f"steady-{len(pages)}-{time.monotonic_ns()}")
        elapsed = time.monotonic() - began
        assert wait_until(lambda: hold_row(services, last) is not None, 30)
    pages_read = sum(1 for read in pages if read)
    assert 1 <= pages_read <= elapsed / TRACKING_INTERVAL_SECONDS + 3, (pages_read, elapsed)
