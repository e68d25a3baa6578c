"""A page no retry can mend stops the runner visibly, and the process that runs it ends.

The projection runner caught only the database's errors. Anything else (a projection's bug; in
a bench, rows the tracking position did not account for: `duplicate key` in the lead view's
COPY) ended its thread without a word to the process, which lived on with its read models
frozen, `serve` seeing nothing to restart and readiness nothing failing."""

from __future__ import annotations

import threading
import uuid

from app.cli.following import wait_for
from projections.runner import ProjectionRunner
from tests.controls import create, new_click
from tests.fault_controls import wait_until


class Broken:
    """A projection with a bug: every page raises."""

    def __init__(self) -> None:
        self.name = f"broken-{uuid.uuid4().hex[:8]}"

    def create_tables(self, cursor) -> None:
        pass

    def process(self, cursor, events) -> None:
        raise KeyError("a projection's bug")


def test_an_error_no_retry_can_mend_stops_the_runner_and_its_process_ends_with_1(
    demo, services, database
):
    create(demo, click=new_click(demo))
    runner = ProjectionRunner(services.ledger, database, [Broken()], 100, lock_key=9)
    runner.start()
    try:
        assert wait_until(lambda: runner.failure is not None, 30), "the runner never said so"
        assert isinstance(runner.failure, KeyError)
        assert not runner.is_leader and "a projection's bug" in (runner.last_error or "")
        code = wait_for(threading.Event(), "projections", lambda: runner.failure)
    finally:
        runner.stop()
    assert code == 1


def test_a_follower_that_stops_normally_ends_with_0():
    stop = threading.Event()
    stop.set()
    assert wait_for(stop, "projections", lambda: None) == 0
