"""A period's bounds as people give them: a day, or a moment.

The support page's date field sends `2026-12-01`, scripts send RFC 3339 timestamps; the exports
accepted only the second, so every dated export from the page ended on a raw 400. Both are read
here: a plain date is its midnight in `LEDGER_TIME_ZONE` (default UTC), a timestamp without a
zone is UTC. A refusal names the parameter as the user knows it (`from`, not `from_`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from litestar.openapi.spec import Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType

# The OpenAPI schema of such a parameter: a date or a date-time.
DATE_OR_TIME = {
    "type": None,
    "any_of": [
        Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE, examples=["2026-12-01"]),
        Schema(
            type=OpenAPIType.STRING,
            format=OpenAPIFormat.DATE_TIME,
            examples=["2026-12-01T10:00:00Z"],
        ),
    ],
}
EXAMPLES = "a date such as 2026-12-01 or a time such as 2026-12-01T10:00:00Z"


class BoundError(ValueError):
    """`text` given for the bound `name` is neither a date nor a timestamp."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        super().__init__(f"{name} {text[:40]!r} is not {EXAMPLES}")


def bound(text: str | None, name: str, time_zone: str = "UTC") -> datetime | None:
    """None when nothing was given; the UTC moment a date or timestamp means otherwise (an empty
    value is neither, as the schema says)."""
    if text is None:
        return None
    cleaned = text.strip()
    try:
        if len(cleaned) == 10:
            day = date.fromisoformat(cleaned)
            midnight = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(time_zone))
            return midnight.astimezone(UTC)
        moment = datetime.fromisoformat(cleaned.replace("z", "Z"))
    except ValueError:
        raise BoundError(name, cleaned) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
