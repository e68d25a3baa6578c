"""The rule that says which rate version applies when: the commission rule operators rely on.

A rate version with `effective_from` D is the rate from D on. Adding it supersedes every version
added before it that starts at or after D (they stay in the history, marked superseded by it);
versions that start before D still apply before D. A version may end (`effective_until`, personal
rates): from then on it applies no more, and nothing that it cut short comes back.

Worked timeline (goal `reg`, webmaster side; each line is one catalog apply, in order):

    v1  applied 2026-11-01, from 2026-11-01   10.00
    v2  applied 2026-11-20, from 2027-01-01   11.00   (future: v1 still applies until then)
    v3  applied 2026-12-01, from 2020-01-01   12.00   (back-dated: supersedes v1 and v2)
    v4  applied 2026-12-02, from 2026-12-15   13.00

    in force: before 2020-01-01 none; [2020-01-01, 2026-12-15) v3; from 2026-12-15 v4.

`active` is the schedule the versions leave, `in_force` reads it, `superseded_by` names what
replaced each version, `change_instants` lists where the answer can change. Pure and small, so
tests can hold it against a reference written from the sentence above.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, TypeVar


class Versioned(Protocol):
    @property
    def version(self) -> int: ...

    @property
    def effective_from(self) -> datetime: ...


V = TypeVar("V", bound=Versioned)


def active(versions: Iterable[V]) -> tuple[V, ...]:
    """The versions that still apply somewhere, in order of `effective_from`."""
    schedule: list[V] = []
    for version in sorted(versions, key=lambda v: v.version):
        schedule = [kept for kept in schedule if kept.effective_from < version.effective_from]
        schedule.append(version)
    return tuple(schedule)


def superseded_by(versions: Iterable[V]) -> dict[int, int]:
    """version number → the number of the version that superseded it (absent: never was)."""
    schedule: list[V] = []
    replaced: dict[int, int] = {}
    for version in sorted(versions, key=lambda v: v.version):
        for kept in schedule:
            if kept.effective_from >= version.effective_from:
                replaced[kept.version] = version.version
        schedule = [kept for kept in schedule if kept.effective_from < version.effective_from]
        schedule.append(version)
    return replaced


def until_of(version: object) -> datetime | None:
    return getattr(version, "effective_until", None)


def in_force_on(schedule: tuple[V, ...], when: datetime) -> V | None:
    """What applies at `when` in a schedule made by `active`."""
    found = None
    for version in schedule:
        if version.effective_from > when:
            break
        found = version
    until = until_of(found)
    return None if until is not None and when >= until else found


def in_force(versions: Iterable[V], when: datetime) -> V | None:
    return in_force_on(active(versions), when)


def change_instants(schedule: tuple[V, ...]) -> list[datetime]:
    """Every instant at which `in_force_on` may answer differently, in order."""
    instants = {version.effective_from for version in schedule}
    instants |= {until for version in schedule if (until := until_of(version)) is not None}
    return sorted(instants)


def latest(versions: Iterable[V]) -> V | None:
    """The version added last, whatever its effective_from."""
    return max(versions, key=lambda version: version.version, default=None)
