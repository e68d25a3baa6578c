"""The append path: large group-commit batches, and a gap-free log under concurrent writers."""

from __future__ import annotations

import threading

import pytest
from eventsourcing.persistence import RecordConflictError

from app.eventstore.application import LedgerApplication
from app.eventstore.recorder import LedgerRecorder
from domain.click import Click


def _click(number: int) -> Click:
    return Click(
        click=f"c{number}", flow=101, offer="offer-1", webmaster="wm-1", ip="", user_agent="",
        subs={},
    )  # fmt: skip


@pytest.fixture
def ledger(database):
    app = LedgerApplication(env=database.eventsourcing_env(pool_size=6))
    yield app
    app.close()


def test_the_ledger_appends_through_its_own_recorder(ledger):
    assert isinstance(ledger.recorder, LedgerRecorder)


def test_one_save_of_thousands_of_events_commits_instead_of_hanging(ledger):
    clicks = [_click(n) for n in range(2500)]
    for click in clicks:
        click.attach_lead(click.id, None)  # two events per click, as a busy batch makes

    recordings = ledger.save(*clicks)

    assert len(recordings) == 5000
    positions = [r.notification.id for r in recordings]
    assert positions == sorted(positions)
    assert ledger.recorder.max_notification_id() == positions[-1]


def test_a_reader_tailing_the_log_during_concurrent_appends_misses_no_event(ledger):
    seen: list[int] = []
    writing = threading.Event()
    writing.set()

    def tail() -> None:
        position = 0
        while writing.is_set() or position < (ledger.recorder.max_notification_id() or 0):
            page = ledger.recorder.select_notifications(
                start=position, limit=500, inclusive_of_start=False
            )
            seen.extend(n.id for n in page)
            position = page[-1].id if page else position

    def write(offset: int) -> None:
        for batch in range(40):
            ledger.save(*[_click(offset + batch * 10 + n) for n in range(1 + batch % 7)])

    reader = threading.Thread(target=tail)
    reader.start()
    writers = [threading.Thread(target=write, args=(w * 100_000,)) for w in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    writing.clear()  # the reader goes on until it has read up to the last position
    reader.join(30)

    stored = [n.id for n in ledger.recorder.select_notifications(start=1, limit=100_000)]
    assert seen == stored


def test_a_conflicting_append_is_refused_whole_and_the_next_one_commits(ledger):
    first = _click(1)
    ledger.save(first)
    clash = _click(2)
    copy = ledger.repository.get(first.id)
    copy.attach_lead(copy.id, "x")
    first.attach_lead(first.id, "y")
    ledger.save(first)

    with pytest.raises(RecordConflictError):
        ledger.save(clash, copy)  # copy's version 2 is taken: clash must not be stored either

    assert ledger.get_or_none(clash.id) is None
    assert len(ledger.save(_click(3))) == 1
