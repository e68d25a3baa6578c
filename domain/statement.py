"""An advertiser's statement: its columns, the mapping that names them, and one line as read.

Advertisers export their own view of a period (their order ids, statuses and payouts) as CSV.
The columns we read are named by `FIELDS`; a statement whose header says `Order ID` instead of
`exto` is read through a mapping (`exto:Order ID,amount:Payout`), which may also carry the
advertiser's own status words, as a postback's `sta`…`stn` lists do (`sta:paid|done`). Words
are compared as the postback rules compare them (`domain.statuses`), so a statement and a
postback saying the same word mean the same status. Pure: no I/O.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime
from decimal import Decimal

from domain.statement_formats import FormatError, separator, time_reader
from domain.statuses import OVERRIDE_PARAMETERS, Status, StatusOverrides

FIELDS = ("exto", "click", "flow", "status", "amount", "currency", "time", "goal")
# A line must name the lead somehow; which of these it uses may differ from line to line.
KEY_FIELDS = ("exto", "click")
STATUS_LISTS = tuple(name for name, _ in OVERRIDE_PARAMETERS)


class MappingError(ValueError):
    """A mapping text that names no known field or gives a field twice."""


@dataclass(frozen=True)
class StatementMapping:
    """Which header names hold our fields, and the advertiser's own status words."""

    columns: dict[str, str]  # field -> header name, as the advertiser spells it
    status_words: dict[str, str]  # "sta" … "stn" -> comma-separated words
    skip: dict[str, tuple[str, ...]] = dataclass_field(default_factory=dict)  # column -> words
    # How the file writes things (issue 20): `encoding`, `date_format`, `decimal`, `thousands`
    # as given, and `goals`: the advertiser's goal names (casefolded) -> our goal or alias.
    options: dict[str, str] = dataclass_field(default_factory=dict)
    goals: dict[str, str] = dataclass_field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> StatementMapping:
        """`exto:Order ID,amount:Payout,sta:paid|done`: field:header pairs and word lists.

        Words of a list are separated by `|`; a part without a colon continues the list before
        it, so `sta:paid,done` reads like the postback parameter it mirrors."""
        columns: dict[str, str] = {}
        words: dict[str, list[str]] = {}
        skip: dict[str, tuple[str, ...]] = {}
        options: dict[str, str] = {}
        goals: dict[str, str] = {}
        last_list: str | None = None
        for part in _parts(text):
            if not part:
                continue
            name, colon, value = part.partition(":")
            name = name.strip().casefold()
            if not colon and last_list is not None:
                words[last_list].append(part)
                continue
            if not colon or not value.strip():
                raise MappingError(f"mapping part {part[:40]!r} is not field:column")
            if name == "skip":
                _add_skip(value.strip(), skip)
                last_list = None
                continue
            if name in OPTIONS:
                _add_option(name, value, options, goals)
                last_list = None
                continue
            last_list = _add(name, value.strip(), columns, words)
        lists = {name: ",".join(found) for name, found in words.items()}
        return cls(columns, lists, skip, options, goals)

    def to_text(self) -> str:
        parts = [f"{field}:{header}" for field, header in self.columns.items()]
        parts += [f"{name}:{words.replace(',', '|')}" for name, words in self.status_words.items()]
        parts += [f"skip:{column}={'|'.join(words)}" for column, words in self.skip.items()]
        parts += [f"{name}:{value}" for name, value in self.options.items()]
        if self.goals:
            parts.append("goals:" + "|".join(f"{k}={v}" for k, v in self.goals.items()))
        return ",".join(_quoted(part) for part in parts)

    def overrides(self) -> StatusOverrides:
        return StatusOverrides.from_params(self.status_words)

    def header_for(self, field: str) -> str:
        return self.columns.get(field, field)


def _add(name: str, value: str, columns: dict, words: dict) -> str | None:
    if name in STATUS_LISTS:
        words.setdefault(name, []).extend(w.strip() for w in value.split("|") if w.strip())
        return name
    if name not in FIELDS:
        known = ", ".join((*FIELDS, *STATUS_LISTS))
        raise MappingError(f"mapping names {name[:40]!r}, which is none of {known}")
    if name in columns:
        raise MappingError(f"mapping gives {name!r} twice")
    columns[name] = value
    return None


OPTIONS = ("encoding", "date_format", "decimal", "thousands", "goals")


def _parts(text: str) -> list[str]:
    """Parts separated by commas; a part in double quotes may hold commas itself
    (`"exto:Order, ID",amount:Payout`), as a CSV field does."""
    parts, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [p for p in (*parts, current.strip()) if p]


def _quoted(part: str) -> str:
    return f'"{part}"' if "," in part else part


def _add_option(name: str, value: str, options: dict, goals: dict) -> None:
    if name != "goals":
        options[name] = value.strip() if name in ("encoding", "date_format") else value
        try:
            _check_option(name, options[name])
        except (FormatError, LookupError) as error:
            raise MappingError(str(error)) from None
        return
    for pair in value.split("|"):
        theirs, equals, ours = pair.partition("=")
        if not equals or not theirs.strip() or not ours.strip():
            raise MappingError(f"goal map part {pair[:40]!r} is not their-name=our-goal")
        goals[theirs.strip().casefold()] = ours.strip()


def _check_option(name: str, value: str) -> None:
    if name == "encoding":
        if "\n".encode(codecs.lookup(value).name) != b"\n":
            raise LookupError(f"encoding {value[:20]!r} does not write lines as ASCII does")
    elif name == "date_format":
        time_reader(value)
    else:
        separator(value, name)


def _add_skip(value: str, skip: dict) -> None:
    """`skip:Order ID=Total|Sum`: rows whose column holds one of the words are no lines."""
    column, equals, words = value.partition("=")
    found = tuple(w.strip().casefold() for w in words.split("|") if w.strip())
    if not equals or not column.strip() or not found:
        raise MappingError(f"skip rule {value[:40]!r} is not skip:Column=word|word")
    skip[column.strip()] = found


NO_MAPPING = StatementMapping({}, {})
# Words of a total row in the languages advertisers' exports come in (compared casefolded).
TOTAL_WORDS = frozenset({
    "total", "totals", "grand total", "subtotal", "sub-total", "sum", "summary", "итого",
    "всего", "итог", "сумма", "summe", "gesamt", "gesamtsumme", "totale", "totaal", "suma",
    "razem", "toplam",
})  # fmt: skip


def _position(header: list[str], column: str) -> int | None:
    wanted = column.strip().casefold()
    return next((i for i, name in enumerate(header) if name.strip().casefold() == wanted), None)


def skip_reason(row: list[str], header: list[str], mapping: StatementMapping,
                names_a_lead: bool) -> str | None:  # fmt: skip
    """Why a row is no statement line: a mapping's skip rule holds, or it names no lead and
    one of its cells is the word of a total (`Total:`, `Итого`). None for an ordinary line."""
    for column, words in mapping.skip.items():
        index = _position(header, column)
        cell = row[index].strip() if index is not None and index < len(row) else ""
        if cell.casefold() in words:
            return f"the skip rule {column}={cell} holds"
    if names_a_lead:
        return None
    for cell in row:
        word = cell.strip().rstrip(":").strip().casefold()
        if word in TOTAL_WORDS:
            return f"a total row: it names no lead and says {cell.strip()!r}"
    return None


def columns_of(header: list[str], mapping: StatementMapping) -> dict[str, int]:
    """Each field's column index, found by name in any letter case (mapped names first)."""
    positions = {name.strip().casefold(): index for index, name in enumerate(header)}
    found = {}
    for field in FIELDS:
        index = positions.get(mapping.header_for(field).strip().casefold())
        if index is not None:
            found[field] = index
    return found


def duplicated_names(header: list[str]) -> list[str]:
    seen: set[str] = set()
    twice = []
    for name in header:
        key = name.strip().casefold()
        if key in seen and name not in twice:
            twice.append(name)
        seen.add(key)
    return twice


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One line of a statement as read: `line` is its line number in the file (header is 1)."""

    line: int
    exto: str | None = None
    click: str | None = None
    flow: int | None = None
    status_word: str | None = None
    status: Status | None = None
    amount: Decimal | None = None
    currency: str | None = None
    time: datetime | None = None
    goal: str | None = None
    skip_reason: str | None = None  # a row that is no line (a total): why it is skipped

    def key(self) -> str:
        """What names the lead, for telling two lines about the same lead apart."""
        return "\x1f".join((self.exto or "", self.click or "", str(self.flow or "")))
