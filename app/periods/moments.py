"""When a period ends: a date a user gives is midnight in LEDGER_TIME_ZONE, a time is as given."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from litestar.exceptions import ClientException


def until_of(text: str, time_zone: str) -> datetime:
    """`2026-12-01` → midnight of that day in `time_zone`; an ISO 8601 time without an offset is
    read in `time_zone` too. The answer is in UTC."""
    zone = ZoneInfo(time_zone)
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=zone)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise ClientException(
            f"until must be a date (2026-12-01) or an ISO 8601 time, not {text[:40]!r}"
        ) from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)
