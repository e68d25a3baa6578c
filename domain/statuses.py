"""Status recognition for affiliate postbacks.

Senders report a lead's status as a free-text word (`status=Approved`). This module turns such a
word into one of the six canonical statuses, first through the sender's own word lists
(`sta`, `stc`, `stt`, `sth`, `stw`, `stn`), then through the published automatic table.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass


class Status(enum.StrEnum):
    """The canonical status of a lead."""

    NEW = "new"
    PROCESSING = "processing"
    HOLD = "hold"
    APPROVE = "approve"
    CANCEL = "cancel"
    TRASH = "trash"

    @property
    def is_final(self) -> bool:
        """True for the statuses that settle a lead: a later non-final status is ignored."""
        return self in (Status.APPROVE, Status.CANCEL, Status.TRASH)


RECOGNITION_TABLE: dict[Status, tuple[str, ...]] = {
    Status.NEW: ("new", "create", "created"),
    Status.PROCESSING: ("pending", "processing", "wait", "waiting"),
    Status.HOLD: ("hold", "on_hold"),
    Status.APPROVE: (
        "a",
        "accept",
        "accepted",
        "approve",
        "approved",
        "confirm",
        "confirmed",
        "sale",
        "paid",
        "success",
    ),
    Status.CANCEL: (
        "c",
        "d",
        "decline",
        "declined",
        "cancel",
        "canceled",
        "cancelled",
        "rejected",
        "refused",
    ),
    Status.TRASH: (
        "t",
        "trash",
        "error",
        "wrong",
        "reject",
        "bad",
        "fraud",
        "spam",
        "invalid",
        "duplicate",
        "test",
    ),
}

STATUS_MEANINGS: dict[Status, str] = {
    Status.NEW: "lead created, not yet worked",
    Status.PROCESSING: "advertiser is working on it (the vendor's wait)",
    Status.HOLD: "confirmed but payment delayed",
    Status.APPROVE: "confirmed and payable",
    Status.CANCEL: "real lead declined by customer or advertiser",
    Status.TRASH: "invalid, duplicate, fraudulent or test lead",
}

# The order matters: a word the sender lists under two parameters resolves to the first one here.
OVERRIDE_PARAMETERS: tuple[tuple[str, Status], ...] = (
    ("sta", Status.APPROVE),
    ("stc", Status.CANCEL),
    ("stt", Status.TRASH),
    ("sth", Status.HOLD),
    ("stw", Status.PROCESSING),
    ("stn", Status.NEW),
)

_AUTOMATIC_WORDS: dict[str, Status] = {
    word: status for status, words in RECOGNITION_TABLE.items() for word in words
}


def normalise_word(word: str) -> str:
    """The form in which status words are compared: no surrounding spaces, case-folded."""
    return word.strip().casefold()


def _parse_word_list(text: str) -> frozenset[str]:
    words = (normalise_word(item) for item in text.split(","))
    return frozenset(word for word in words if word)


@dataclass(frozen=True)
class StatusOverrides:
    """The sender's own status words from one postback, checked before the automatic table."""

    approve: frozenset[str] = frozenset()
    cancel: frozenset[str] = frozenset()
    trash: frozenset[str] = frozenset()
    hold: frozenset[str] = frozenset()
    processing: frozenset[str] = frozenset()
    new: frozenset[str] = frozenset()

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> StatusOverrides:
        """Read `sta`…`stn` (comma-separated lists; a missing parameter means no words)."""
        if not any(name in params for name, _ in OVERRIDE_PARAMETERS):
            return NO_OVERRIDES  # most postbacks send none: skip building six empty sets
        return cls(
            **{
                status.name.lower(): _parse_word_list(params.get(name, ""))
                for name, status in OVERRIDE_PARAMETERS
            }
        )

    @property
    def creates_lead_words(self) -> frozenset[str]:
        """The `stn` words: a status change with one of them creates the lead instead."""
        return self.new

    def words_for(self, status: Status) -> frozenset[str]:
        return getattr(self, status.name.lower())


NO_OVERRIDES = StatusOverrides()


def _recognise_override(word: str, overrides: StatusOverrides) -> Status | None:
    for _, status in OVERRIDE_PARAMETERS:
        if word in overrides.words_for(status):
            return status
    return None


def recognise(word: str, overrides: StatusOverrides = NO_OVERRIDES) -> Status | None:
    """The canonical status a sender's word means, or None when the word is not recognised."""
    normalised = normalise_word(word)
    if not normalised:
        return None
    from_sender = _recognise_override(normalised, overrides)
    if from_sender is not None:
        return from_sender
    return _AUTOMATIC_WORDS.get(normalised)


def matches_new_lead_word(word: str, overrides: StatusOverrides) -> bool:
    """True when the word is one of the sender's `stn` words, which create the lead."""
    return normalise_word(word) in overrides.creates_lead_words


def recognition_table_markdown() -> str:
    """The automatic recognition table as Markdown, for publishing in the README."""
    lines = [
        "| Canonical status | Meaning | Words recognised |",
        "| --- | --- | --- |",
    ]
    for status, words in RECOGNITION_TABLE.items():
        shown_words = ", ".join(f"`{word}`" for word in words)
        lines.append(f"| `{status}` | {STATUS_MEANINGS[status]} | {shown_words} |")
    return "\n".join(lines) + "\n"
