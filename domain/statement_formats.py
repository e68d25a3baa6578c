"""How advertisers' exports write numbers, money and times, read back to our plain notation.

A statement's mapping may say how its file writes things (`domain.statement.StatementMapping`):
`decimal` and `thousands` separators (`1.200,50`, `1 200.50`), a `date_format` such as
`dd.mm.yyyy HH:MM`, and amounts may carry a currency symbol or code (`€8.40`, `8,40 €`,
`USD 15.00`). These helpers turn such text into what the strict gates of `domain.money` and
ISO 8601 read, so every amount still passes the one strict check. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

SEPARATORS = {"dot": ".", "comma": ",", "space": " ", "apostrophe": "'", "none": ""}
SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "₽": "RUB", "₴": "UAH", "₸": "KZT", "zł": "PLN"}
_CODE = re.compile(r"^([A-Za-z]{3})\s*(.+)$|^(.+?)\s*([A-Za-z]{3})$")
_DATE_PARTS = (("yyyy", "%Y"), ("yy", "%y"), ("dd", "%d"), ("mm", "%m"), ("HH", "%H"),
               ("MM", "%M"), ("SS", "%S"))  # fmt: skip


class FormatError(ValueError):
    """A mapping's format option that cannot be used (an unknown separator or date part)."""


def separator(name: str, option: str) -> str:
    """A separator by name (`comma`, `dot`, `space`, `apostrophe`, `none`) or as itself."""
    found = SEPARATORS.get(name.strip().casefold(), name if len(name) == 1 else None)
    if found is None or found.isalnum():
        raise FormatError(f"{option} {name[:20]!r} is none of " + ", ".join(SEPARATORS))
    return found


def money_text(text: str, decimal: str | None, thousands: str | None) -> tuple[str, str | None]:
    """(amount in plain notation, the currency its symbol or code names, if any)."""
    text = text.strip().replace("\u00a0", " ")
    currency = None
    for symbol, code in SYMBOLS.items():
        if symbol in text:
            text, currency = text.replace(symbol, "").strip(), code
            break
    else:
        coded = _CODE.match(text)
        if coded and not (coded[1] or coded[4] or "").isdigit():
            currency = (coded[1] or coded[4]).upper()
            text = (coded[2] or coded[3]).strip()
    if thousands:
        text = text.replace(thousands, "")
    if decimal and decimal != ".":
        text = text.replace(".", "\x00").replace(decimal, ".").replace("\x00", ".")
    return text, currency


def time_reader(date_format: str | None) -> Callable[[str], datetime]:
    """A reader of the statement's times: ISO 8601 by default, else the mapping's format
    (`dd.mm.yyyy HH:MM`: dd day, mm month, yyyy or yy year, HH hour, MM minute, SS second).
    A time without a zone is UTC."""
    pattern = _strptime(date_format) if date_format else None  # FormatError when unusable

    def read(text: str) -> datetime:
        try:
            moment = (datetime.strptime(text.strip(), pattern) if pattern
                      else datetime.fromisoformat(text))  # fmt: skip
        except ValueError:
            shape = date_format or "an ISO date or time such as 2026-11-30 14:05:00"
            raise ValueError(f"time {text[:40]!r} is not {shape}") from None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment

    return read


def _strptime(date_format: str) -> str:
    pattern, rest = "", date_format
    while rest:
        for part, code in _DATE_PARTS:
            if rest.startswith(part):
                pattern, rest = pattern + code, rest[len(part) :]
                break
        else:
            if rest[0].isalpha():
                raise FormatError(f"date_format {date_format[:30]!r}: {rest[0]!r} is no date "
                                  "part (dd, mm, yyyy, yy, HH, MM, SS)")  # fmt: skip
            pattern, rest = pattern + rest[0].replace("%", "%%"), rest[1:]
    return pattern
