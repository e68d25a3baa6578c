"""How commands speak: data as JSON with `--json`, tables sized for a terminal or left whole in a
pipe, and a user's mistake as one line and exit code 2 instead of a traceback."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import msgspec

USAGE = 2  # the exit code of a mistake in the command line or its input, as argparse uses
FAILED = 1
WIDE = 100_000  # no table column is cut when nobody reads the output on a screen


class CommandError(Exception):
    """Ends a command with this message on stderr and this exit code, and no traceback."""

    def __init__(self, message: str, code: int = FAILED) -> None:
        super().__init__(message)
        self.code = code


class UsageError(CommandError):
    """The user asked for something that cannot be done as asked (a missing file, a bad id)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, USAGE)


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print the result as one JSON document (for scripts)"
    )


def print_json(data: Any) -> None:
    """`data` as JSON on stdout: msgspec Structs, dataclasses, dates and Decimals included."""
    sys.stdout.write(msgspec.json.encode(data, enc_hook=str).decode() + "\n")


def console(width: int | None = None):
    """A rich Console on stdout: the terminal's width there; in a pipe, values are never cut."""
    from rich.console import Console

    if width is None and not sys.stdout.isatty():
        return Console(width=WIDE, no_color=True, soft_wrap=False)
    return Console(width=width)
