"""Reading a statement file: CSV in UTF-8 (with or without BOM), comma or semicolon, a header.

Every cell goes through the same strict gates as a postback's parameters (`domain.money`,
`domain.statuses`), and the first one that fails stops the reading with the line and column
where it failed, so the caller can refuse the whole file and store nothing of it. Lines are
yielded one at a time: a statement of any length is read in constant memory.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from typing import BinaryIO

from app.audit.spreadsheet import spreadsheet_text
from domain.catalog_view import CatalogView
from domain.money import InvalidAmount, UnknownCurrency, check_currency, parse_amount
from domain.statement import (
    KEY_FIELDS,
    StatementLine,
    StatementMapping,
    columns_of,
    duplicated_names,
    skip_reason,
)
from domain.statement_formats import money_text, separator, time_reader
from domain.statuses import StatusOverrides, recognise

csv.field_size_limit(1 << 20)
_BOM = b"\xef\xbb\xbf"
_PROGRESS_EVERY = 2_000
_REMEMBERED = 10_000  # amounts parsed once per distinct text (memory stays bounded)


class StatementError(Exception):
    """Why a statement is refused, and where: `line` counts the header as line 1."""

    def __init__(
        self, code: str, message: str, line: int | None = None, column: str | None = None
    ) -> None:
        where = f"line {line}" + (f", column {column!r}" if column else "") if line else ""
        super().__init__(f"{where}: {message}" if where else message)
        self.code, self.message, self.line, self.column = code, str(self), line, column


class Statement:
    """A statement being read: its header (after `open`) and then its lines."""

    def __init__(
        self,
        file: BinaryIO,
        mapping: StatementMapping,
        catalog: CatalogView,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self._file = file
        self._mapping = mapping
        self._overrides: StatusOverrides = mapping.overrides()
        self._catalog = catalog
        self._progress = progress
        self.header: list[str] = []
        self._columns: dict[str, int] = {}
        self._rows: Iterator[list[str]] = iter(())
        self._reader: csv.Reader | None = None
        self._seen: dict[str, str] = {}
        self._statuses: dict[str, object] = {}
        self._amounts: dict[tuple[str, str], object] = {}
        options = mapping.options
        self._encoding = options.get("encoding", "utf-8")
        self._time = time_reader(options.get("date_format"))
        self._decimal = separator(options["decimal"], "decimal") if "decimal" in options else None
        self._thousands = (separator(options["thousands"], "thousands")
                           if "thousands" in options else None)  # fmt: skip

    def open(self) -> Statement:
        text = _text_lines(self._file, self._encoding)
        first = next(text, "")
        if not first.strip():
            raise StatementError("empty_statement", "the statement is empty: no header row")
        delimiter = ";" if first.count(";") > first.count(",") else ","
        self.header = _csv_row(
            lambda: next(csv.reader([first], delimiter=delimiter, strict=True)), 1
        )
        self._check_header()
        self._reader = csv.reader(text, delimiter=delimiter, strict=True)
        return self

    def _check_header(self) -> None:
        twice = duplicated_names(self.header)
        if twice:
            raise StatementError(
                "duplicated_column", f"the header names {twice[0]!r} twice", 1, twice[0]
            )
        self._columns = columns_of(self.header, self._mapping)
        for field, header in self._mapping.columns.items():
            if field not in self._columns:
                raise StatementError(
                    "missing_column", f"the mapping names column {header!r} for {field}, "
                    "but the header has no such column", 1, header,
                )  # fmt: skip
        if not any(field in self._columns for field in KEY_FIELDS):
            raise StatementError(
                "missing_column", "the header needs an exto or a click column (or a mapping "
                "naming one, such as mapping=exto:Order ID)", 1,
            )  # fmt: skip

    def lines(self) -> Iterator[tuple[StatementLine, dict[str, str]]]:
        """Each data line read and checked, with its cells as the file had them."""
        assert self._reader is not None, "open() the statement first"
        reader = self._reader
        while True:
            # The header was read apart: the reader's line 1 is the file's line 2.
            row = _csv_row(lambda: next(reader, None), reader.line_num + 2)
            if row is None:
                return
            if not any(cell.strip() for cell in row):
                continue  # a blank line (often the last one) says nothing
            number = reader.line_num + 1
            if any("\x00" in cell for cell in row):
                raise StatementError("malformed_csv", "a cell holds a NUL character", number)
            if self._progress is not None and number % _PROGRESS_EVERY == 0:
                self._progress(self._file.tell())
            yield self._line(number, row), _cells(row, self.header)

    def _line(self, number: int, row: list[str]) -> StatementLine:
        cell = _Cells(row, self._columns, self.header, number, self._mapping)
        exto, click = cell.text("exto"), cell.text("click")
        reason = skip_reason(row, self.header, self._mapping, bool(exto or click))
        if reason is not None:
            return StatementLine(line=number, skip_reason=reason)
        if not exto and not click:
            raise StatementError("no_lead_key", "the line names no lead: exto and click are "
                                 "both empty", number, cell.name("exto"))  # fmt: skip
        currency = cell.parsed("currency", self._currency, UnknownCurrency, "unknown_currency")
        word = cell.text("status")
        amount, currency = self._amount(cell, currency)
        goal = cell.text("goal")
        return StatementLine(
            line=number,
            exto=exto,
            click=click,
            flow=self._flow(cell),
            status_word=word,
            status=self._status(word, cell) if word else None,
            amount=amount,
            currency=currency,
            time=cell.parsed("time", self._time, ValueError, "invalid_time"),
            goal=self._mapping.goals.get(goal.casefold(), goal) if goal else None,
        )

    def _flow(self, cell: _Cells) -> int | None:
        ref = cell.text("flow")
        if ref is None:
            return None
        flow = self._catalog.flow(ref)
        if flow is None:
            cell.fail("unknown_flow", f"flow {ref[:40]!r} is not known", "flow")
        return flow.id

    def _currency(self, text: str) -> str:
        if text not in self._seen:  # a statement has few currencies, statuses and amounts
            self._seen[text] = check_currency(text)
        return self._seen[text]

    def _status(self, word: str, cell: _Cells):
        if word not in self._statuses:
            self._statuses[word] = recognise(word, self._overrides)
        status = self._statuses[word]
        if status is None:
            cell.fail("unknown_status", f"status {word[:40]!r} is not recognised; name it in "
                      "the mapping, such as sta:paid|done", "status")  # fmt: skip
        return status

    def _amount(self, cell: _Cells, currency: str | None):
        """(amount, currency): the currency column's, or the one the amount's symbol names."""
        written = cell.text("amount")
        if written is None:
            return None, currency
        text, named = money_text(written, self._decimal, self._thousands)
        if named is not None and currency is not None and named != currency:
            cell.fail("invalid_amount", f"amount {written[:40]!r} is in {named}, the line's "
                      f"currency is {currency}", "amount")  # fmt: skip
        if currency is None and named is not None:
            currency = cell.parsed("amount", lambda _: self._currency(named), UnknownCurrency,
                                   "unknown_currency")  # fmt: skip
        if currency is None:
            cell.fail("missing_currency", "an amount needs a currency in the line", "currency")
        key = (text, currency)
        if key not in self._amounts:
            try:
                amount = parse_amount(text, currency)
            except InvalidAmount as error:
                cell.fail("invalid_amount", str(error), "amount")
            if len(self._amounts) > _REMEMBERED:
                self._amounts.clear()
            self._amounts[key] = amount
        return self._amounts[key], currency


class _Cells:
    """One row's cells by field, failing with the line and the column's own name."""

    def __init__(self, row, columns, header, number, mapping) -> None:
        self.row, self.columns, self.header, self.number = row, columns, header, number
        self.mapping = mapping

    def name(self, field: str) -> str:
        index = self.columns.get(field)
        return self.header[index] if index is not None else self.mapping.header_for(field)

    def text(self, field: str) -> str | None:
        index = self.columns.get(field)
        if index is None or index >= len(self.row):
            return None
        # A cell our own exports neutralised (`'-abc`) is read as the text it stands for.
        return spreadsheet_text(self.row[index].strip()).strip() or None

    def parsed(self, field: str, parse, errors, code: str):
        text = self.text(field)
        if text is None:
            return None
        try:
            return parse(text)
        except errors as error:
            self.fail(code, str(error), field)

    def fail(self, code: str, message: str, field: str):
        raise StatementError(code, message, self.number, self.name(field))


def _cells(row: list[str], header: list[str]) -> dict[str, str]:
    return {name: row[index] if index < len(row) else "" for index, name in enumerate(header)}


def _text_lines(file: BinaryIO, encoding: str = "utf-8") -> Iterator[str]:
    """The file's lines decoded one by one (UTF-8 unless the mapping names an `encoding`), so a
    bad byte is reported on its own line."""
    for number, raw in enumerate(file, 1):
        if number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        try:
            yield raw.decode(encoding)
        except UnicodeDecodeError as error:
            raise StatementError(
                "invalid_encoding", f"the line is not {encoding} ({error.reason} at byte "
                f"{error.start + 1} of the line); save the statement as UTF-8 or name its "
                "encoding in the mapping, such as encoding:windows-1251", number,
            ) from None  # fmt: skip


def _csv_row(read, line: int):
    try:
        return read()
    except csv.Error as error:
        raise StatementError("malformed_csv", str(error), line) from None
