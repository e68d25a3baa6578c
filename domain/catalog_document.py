"""The catalog file: parsing the operator's TOML, and the checks it must pass before it touches
the catalog.

`parse_catalog` turns the TOML into a `CatalogDocument` (schema: `domain.catalog_entries`), or
raises a `CatalogError` listing every problem it finds, each with its place
(`$.offers[0].goals[1].aliases[0]`): the file's own checks are `domain.catalog_checks`. Whether
the ids the file refers to exist is known only with the catalog at hand: `reference_problems`
(`domain.catalog_references`) checks that when the `Catalog` aggregate applies the document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import msgspec

from domain.catalog_checks import FILE_CHECKS
from domain.catalog_entries import (
    AmountEntry,
    CatalogDocument,
    FlowEntry,
    GoalEntry,
    OfferEntry,
    PersonalRateEntry,
    RateEntry,
    SiteEntry,
)

__all__ = [
    "AmountEntry", "CatalogDocument", "CatalogError", "FlowEntry", "GoalEntry", "OfferEntry",
    "PersonalRateEntry", "RateEntry", "SiteEntry", "document_problems", "parse_catalog",
]  # fmt: skip


class CatalogError(ValueError):
    """A catalog file that cannot be applied; `problems` lists every problem found."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(dict.fromkeys(problems))
        if len(self.problems) == 1:
            message = f"invalid catalog: {self.problems[0]}"
        else:
            listed = "\n".join(f"- {problem}" for problem in self.problems)
            message = f"invalid catalog, {len(self.problems)} problems:\n{listed}"
        super().__init__(message)


def parse_catalog(data: bytes | str) -> CatalogDocument:
    doc = _decode(data)
    problems = document_problems(doc)
    if problems:
        raise CatalogError(problems)
    return doc


def document_problems(doc: CatalogDocument) -> list[str]:
    """Every problem visible in the file alone."""
    return [problem for check in FILE_CHECKS for problem in check(doc)]


_MONEY_AS_NUMBER = re.compile(r"got `(float|int)` - at `\$[^`]*\.amount`")


def _decode(data: bytes | str) -> CatalogDocument:
    try:
        text = data if isinstance(data, str) else bytes(data).decode("utf-8")
        return msgspec.toml.decode(text, type=CatalogDocument)
    except UnicodeDecodeError as error:
        raise CatalogError([f"not UTF-8 text: {error.reason} at byte {error.start}"]) from None
    except msgspec.ValidationError as error:
        message = str(error)
        if _MONEY_AS_NUMBER.search(message):
            message += '; write amounts as quoted text such as "10.00": money is never a float'
        raise CatalogError([message]) from None
    except msgspec.DecodeError as error:
        raise CatalogError([f"invalid TOML: {error}"]) from None
    except RecursionError:
        raise CatalogError(["invalid TOML: nested too deeply"]) from None
