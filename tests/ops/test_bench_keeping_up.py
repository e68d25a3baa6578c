"""The bench's verdict on the sender: a sender that keeps up with a latency is not counted as
falling behind, and one that falls behind is (scripts/benchmark/deliveries.py, `_window`)."""

from __future__ import annotations

from scripts.benchmark.deliveries import _window

RATE, SECONDS = 1000, 12.0


def _run(latency_of) -> dict:
    """Deliveries committed at RATE/s for SECONDS from t=0, each received `latency_of(n)` later."""
    commits = [n / RATE for n in range(int(RATE * SECONDS))]
    rows = [(f"d{n}", at, "delivered") for n, at in enumerate(commits)]
    first = {f"d{n}": at + latency_of(n) for n, at in enumerate(commits)}
    return _window(rows, first, (0.0, SECONDS))


def test_a_sender_keeping_up_half_a_second_behind_sends_what_is_queued():
    found = _run(lambda n: 0.5)
    assert found["per_second"] >= found["queued_per_second"] == RATE
    assert found["received_in_window_per_second"] < 0.96 * RATE  # the old count's bias
    assert abs(found["backlog_at_end"] - RATE * 0.5) <= 1  # the last half second's, on their way
    assert found["p50_ms_by_quarter"] == [500.0] * 4  # flat: no queue builds


def test_a_sender_falling_behind_is_seen_to():
    found = _run(lambda n: n / RATE * 0.5)  # sends at two thirds of the demand
    assert 0.6 * RATE < found["per_second"] < 0.7 * found["queued_per_second"]  # its own rate
    assert found["backlog_at_end"] > RATE * SECONDS / 4
    quarters = found["p50_ms_by_quarter"]
    assert quarters == sorted(quarters) and quarters[3] > 4 * quarters[0]  # a queue builds
