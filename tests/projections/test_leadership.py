"""The retry loop every follower leads in: the database's absences are waited out, the wait
doubling to a ceiling and starting again after a success; anything else ends it, handed back."""

from __future__ import annotations

import psycopg

from projections.eventlog.leadership import retry_until_stopped


class _Waits:
    """Stands in for a follower's stop event: records each wait, set after `turns` checks."""

    def __init__(self, turns: int) -> None:
        self.waits: list[float] = []
        self._turns = turns

    def is_set(self) -> bool:
        self._turns -= 1
        return self._turns < 0

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        return False


def _attempts(*outcomes):
    """An attempt that raises each outcome in turn (None: succeeds)."""
    pending = list(outcomes)

    def attempt() -> None:
        outcome = pending.pop(0)
        if outcome is not None:
            raise outcome

    return attempt


def test_the_wait_after_a_lost_database_doubles_to_5_seconds_and_starts_again_after_a_success():
    down = psycopg.OperationalError("connection refused")
    stopping = _Waits(turns=9)
    lost: list[Exception] = []
    attempt = _attempts(*[down] * 7, None, down)

    assert retry_until_stopped(stopping, attempt, "a follower", lost.append) is None
    assert stopping.waits == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 0.2]
    assert lost == [down] * 8


def test_an_error_no_retry_can_mend_ends_the_loop_and_is_handed_back():
    bug = KeyError("a bug")
    stopping = _Waits(turns=5)

    assert retry_until_stopped(stopping, _attempts(bug), "a follower") is bug
    assert stopping.waits == []
