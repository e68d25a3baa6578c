"""How the notifier's runner pages the log: it skips the topics it never reads, yet its position
reaches the end of the log; under a steady stream its pages start at most every interval."""

from __future__ import annotations

import time
import uuid

import pytest

from app.deliveries.notifier import NOT_HEARD
from domain.click import Click
from domain.lead import Lead
from domain.postback import Postback
from projections.eventlog.reading import LogReader
from projections.runner import ProjectionRunner, tracked_position
from tests.controls import change, create, new_click


class Recorder:
    """A projection that keeps what it was given."""

    def __init__(self) -> None:
        self.name = f"skipping-{uuid.uuid4().hex[:8]}"
        self.seen: list[tuple[int, object]] = []

    def create_tables(self, cursor) -> None:
        pass

    def process(self, cursor, events) -> None:
        self.seen.extend(events)


def _postbacks(demo) -> None:
    for _ in range(3):
        click = new_click(demo)
        create(demo, click=click)
        change(demo, click=click, status="approve")


@pytest.mark.parametrize("page_size", [2, 1000], ids=["many pages", "one page"])
def test_skipped_events_are_never_given_and_the_position_reaches_the_end_of_the_log(
    demo, services, database, page_size
):
    _postbacks(demo)
    recorder = Recorder()
    runner = ProjectionRunner(
        services.ledger, database, [recorder], page_size, lock_key=7, skip_topics=NOT_HEARD
    )
    runner.catch_up()

    log = LogReader(services.ledger)
    everything = log.read(start=0, limit=100_000)
    skipped = (Postback.Received, Click.Recorded, Click.LeadAttached)
    assert [i for i, e in recorder.seen] == [i for i, e in everything if not isinstance(e, skipped)]
    assert any(isinstance(e, Lead.StatusChanged) for _, e in recorder.seen)
    assert not any(isinstance(e, skipped) for _, e in recorder.seen)
    assert isinstance(everything[-1][1], Postback.Received)  # the tail is skipped ...
    with services.ledger.recorder.datastore.get_connection() as connection:
        position = tracked_position(connection, recorder.name)
    assert position == log.end() == everything[-1][0]  # ... and passed all the same


def test_a_runner_that_skips_nothing_still_gives_every_event(demo, services, database):
    _postbacks(demo)
    recorder = Recorder()
    runner = ProjectionRunner(services.ledger, database, [recorder], 5, lock_key=8)
    runner.catch_up()

    everything = LogReader(services.ledger).read(start=0, limit=100_000)
    assert [i for i, _ in recorder.seen] == [i for i, _ in everything]


class _StopAfterFirstWait:
    """Stands in for the runner's stop event: records each wait, and stops the loop after one."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self._deadline = time.monotonic() + 20  # a runner that never waits fails, not hangs

    def is_set(self) -> bool:
        return bool(self.waits) or time.monotonic() > self._deadline

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        return True


@pytest.mark.parametrize(
    ("page_size", "waits_after_page"), [(1000, True), (1, False)], ids=["part page", "full page"]
)
def test_after_a_page_that_did_not_fill_the_runner_waits_out_its_page_interval(
    demo, services, database, page_size, waits_after_page
):
    _postbacks(demo)
    runner = ProjectionRunner(
        services.ledger, database, [Recorder()], page_size, lock_key=9, page_interval=30.0
    )
    stop = runner._stopping = _StopAfterFirstWait()
    if not waits_after_page:
        stop.is_set = lambda: runner.events_processed >= 3 or bool(stop.waits)
    runner._lead_while_holding_lock()

    if waits_after_page:
        assert runner.events_processed > 0 and len(stop.waits) == 1
        assert 0 < stop.waits[0] < 30.0  # the interval less the time the page took
    else:
        assert runner.events_processed >= 3 and stop.waits == []
