"""How the lead page reads "as the ledger stood at": picker values, relative words, mistakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.support.moments import CHOICES, moment_of

NOW = datetime(2026, 11, 10, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("asked", "back"),
    [("1 hour ago", timedelta(hours=1)), ("yesterday", timedelta(days=1)),
     ("7 days ago", timedelta(days=7)), ("30 days ago", timedelta(days=30)),
     ("3 Weeks  ago", timedelta(weeks=3)), ("now", timedelta(0))],
)  # fmt: skip
def test_relative_words_count_back_from_now(asked, back):
    assert moment_of(asked, NOW).at == NOW - back


def test_every_relative_choice_the_page_offers_is_understood():
    assert all(moment_of(value, NOW).problem is None for value, _ in CHOICES)


def test_a_picker_value_has_no_zone_and_is_read_as_utc_in_24_hour_time():
    moment = moment_of("2026-11-03T12:00", NOW)

    assert moment.at == datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
    assert moment.picker_value == "2026-11-03 12:00:00"
    assert moment_of("2026-11-03 14:00", NOW).picker_value == "2026-11-03 14:00:00"
    assert not moment.relative and moment_of("yesterday", NOW).relative


def test_a_time_with_an_offset_is_converted_to_utc():
    assert moment_of("2026-11-03T14:00:00+02:00", NOW).at == datetime(2026, 11, 3, 12, tzinfo=UTC)


def test_words_it_cannot_read_get_a_message_saying_what_to_type():
    moment = moment_of("last tuesday", NOW)

    assert moment.at is None
    assert "“last tuesday” is not a date and time" in moment.problem
    assert "2026-11-03 14:00 (24-hour, UTC)" in moment.problem


def test_a_moment_in_the_future_is_refused_with_its_time():
    assert moment_of("2026-11-11T00:00", NOW).problem == "2026-11-11 00:00:00 UTC is in the future."


def test_nothing_asked_is_no_moment():
    assert moment_of("  ", NOW) is None
