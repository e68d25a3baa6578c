"""An upload's query parameters (or command-line options), read into an `Upload`.

Shared by the HTTP route and the `reconcile` command so both accept the same spellings:
`from`/`to` as ISO dates or times (a date is its midnight, UTC unless zoned), an absolute
`amount_tolerance` such as `0.05`, and a `time_tolerance` such as `1d`, `12h`, `30m` or `90s`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from app.reconciliation.matching import Upload
from app.reconciliation.parsing import StatementError
from domain.reconciliation import Tolerances

_DURATION = re.compile(r"(\d{1,9})\s*([smhd]?)", re.ASCII)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def upload_from(
    advertiser: str,
    start: str,
    end: str,
    mapping: str | None,
    amount_tolerance: str,
    time_tolerance: str,
    actor: str,
    file_name: str = "statement.csv",
    use_remembered: bool = False,
) -> Upload:
    if not advertiser.strip():
        raise StatementError("invalid_parameter", "advertiser is required")
    period = (moment(start, "from"), moment(end, "to"))
    if period[0] >= period[1]:
        raise StatementError("invalid_parameter", "from must be before to")
    tolerances = Tolerances(_amount(amount_tolerance), _duration(time_tolerance))
    return Upload(advertiser.strip(), *period, actor, file_name.strip() or "statement.csv",
                  mapping, tolerances, use_remembered)  # fmt: skip


def moment(text: str, name: str) -> datetime:
    try:
        found = datetime.fromisoformat(text.strip())
    except ValueError:
        raise StatementError("invalid_parameter", f"{name} {text[:40]!r} is not an ISO date "
                             "or time such as 2026-11-01") from None  # fmt: skip
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found


def _amount(text: str) -> Decimal:
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or amount < 0:
        raise StatementError("invalid_parameter", f"amount_tolerance {text[:40]!r} is not a "
                             "non-negative number such as 0.05")  # fmt: skip
    return amount


def _duration(text: str) -> timedelta:
    found = _DURATION.fullmatch(text.strip().casefold())
    if found is None:
        raise StatementError("invalid_parameter", f"time_tolerance {text[:40]!r} is not a "
                             "duration such as 1d, 12h, 30m or 90s")  # fmt: skip
    return timedelta(seconds=int(found[1]) * _UNITS[found[2]])
