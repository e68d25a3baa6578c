"""Which rate versions a catalog file's entry adds, under the rule of `domain.rate_schedule`.

A goal's entry states its rate now (`webmaster`/`advertiser`, optional `effective_from`) or its
schedule (`[[offers.goals.rates]]`); a personal rate states one version, which may end
(`effective_until`). Either way the entry says what applies from its first `effective_from` on;
`plan` finds the fewest versions to add so that the schedule says exactly that, and nothing when
it already does: applying the same file twice adds nothing.

Without `effective_from`, an entry speaks of the version in force now: the same money (only its
end changed) keeps that version's start; other money starts now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.catalog_entities import PersonalRateVersion, RateVersion
from domain.catalog_entries import GoalEntry, PersonalRateEntry
from domain.money import Money
from domain.rate_schedule import active, change_instants, in_force_on


@dataclass(frozen=True)
class PlannedRate:
    """A version to add: its start, its money ((advertiser, webmaster) or (webmaster,)), end."""

    effective_from: datetime
    money: tuple[Money, ...]
    effective_until: datetime | None = None


@dataclass(frozen=True)
class _Simulated:
    version: int
    effective_from: datetime
    planned: PlannedRate


def planned_of(version: RateVersion | PersonalRateVersion) -> PlannedRate:
    if isinstance(version, RateVersion):
        return PlannedRate(version.effective_from, (version.advertiser, version.webmaster))
    return PlannedRate(version.effective_from, (version.webmaster,), version.effective_until)


def plan(held: Sequence[RateVersion | PersonalRateVersion], wanted: list[PlannedRate]):
    """The versions to add, in order, so that from `wanted[0]` on the schedule is `wanted`."""
    wanted = sorted(wanted, key=lambda p: p.effective_from)
    start = wanted[0].effective_from
    before = [planned_of(v) for v in active(held) if v.effective_from < start]
    target = [*before, *wanted]
    base = [_Simulated(v.version, v.effective_from, planned_of(v)) for v in held]
    for first in range(len(wanted), 0, -1):
        if _same_money_from(start, _schedule_after(base, wanted[first:]), target):
            return wanted[first:]
    return wanted


def _same_money_from(start: datetime, one: list[PlannedRate], other: list[PlannedRate]) -> bool:
    """Whether two schedules put the same money in force at every instant from `start` on: a
    file restating what is already in force (from a later date, say) then adds no version."""
    instants = {start} | {
        moment
        for planned in (*one, *other)
        for moment in (planned.effective_from, planned.effective_until)
        if moment is not None and moment >= start
    }
    return all(_planned_money_at(one, t) == _planned_money_at(other, t) for t in instants)


def _planned_money_at(schedule: list[PlannedRate], instant: datetime) -> tuple[Money, ...] | None:
    started = [p for p in schedule if p.effective_from <= instant]
    if not started:
        return None
    last = started[-1]
    if last.effective_until is not None and instant >= last.effective_until:
        return None
    return last.money


def _schedule_after(base: list[_Simulated], added: list[PlannedRate]) -> list[PlannedRate]:
    top = max((s.version for s in base), default=0)
    extra = [_Simulated(top + n, p.effective_from, p) for n, p in enumerate(added, start=1)]
    return [s.planned for s in active([*base, *extra])]


def goal_plan(held: Sequence[RateVersion], entry: GoalEntry, now: datetime) -> list[PlannedRate]:
    if entry.rates:
        return plan(held, [_scheduled(rate) for rate in entry.rates])
    assert entry.advertiser is not None and entry.webmaster is not None  # checked with the file
    money = (entry.advertiser.money(), entry.webmaster.money())
    return _plan_one(held, PlannedRate(entry.effective_from or now, money), entry, now)


def _scheduled(rate) -> PlannedRate:
    return PlannedRate(rate.effective_from, (rate.advertiser.money(), rate.webmaster.money()))


def personal_plan(
    held: Sequence[PersonalRateVersion], entry: PersonalRateEntry, now: datetime
) -> list[PlannedRate]:
    wanted = PlannedRate(entry.effective_from or now, (entry.money(),), entry.effective_until)
    return _plan_one(held, wanted, entry, now)


def _plan_one(held, wanted: PlannedRate, entry, now: datetime) -> list[PlannedRate]:
    if entry.effective_from is not None:
        return plan(held, [wanted])
    current = _current(held, now)
    if current is None:
        return plan(held, [wanted])
    known = planned_of(current)
    if known.money == wanted.money and known.effective_until == wanted.effective_until:
        return []
    if known.money == wanted.money:
        wanted = PlannedRate(known.effective_from, wanted.money, wanted.effective_until)
    return plan(held, [wanted])


def _current(held, now: datetime):
    """The version in force now, or the last one that started, if it has ended."""
    started = [v for v in active(held) if v.effective_from <= now]
    return started[-1] if started else None


def start_of(held, entry, now: datetime) -> datetime:
    """Where `personal_plan` would start the entry's version (to check its end is after it)."""
    if entry.effective_from is not None:
        return entry.effective_from
    current = _current(held, now)
    if current is not None and planned_of(current).money == (entry.money(),):
        return current.effective_from
    return now


def first_difference(old: Sequence, new: Sequence) -> datetime | None:
    """The first instant at which the money in force differs between two version histories."""
    old_schedule, new_schedule = active(old), active(new)
    for instant in sorted({*change_instants(old_schedule), *change_instants(new_schedule)}):
        if _money_at(old_schedule, instant) != _money_at(new_schedule, instant):
            return instant
    return None


def _money_at(schedule, instant: datetime) -> tuple[Money, ...] | None:
    version = in_force_on(schedule, instant)
    return None if version is None else planned_of(version).money


def period_problems(
    entries: Sequence[PersonalRateEntry], held: Mapping[tuple[str, str, str], tuple], now: datetime
) -> list[str]:
    """Personal rates whose end would not come after the start their version would get."""
    problems = []
    for index, entry in enumerate(entries):
        versions = held.get((entry.webmaster, entry.offer, entry.goal), ())
        start = start_of(versions, entry, now)
        if entry.effective_until is not None and entry.effective_until <= start:
            problems.append(
                f"$.personal_rates[{index}].effective_until: must be after the rate starts "
                f"({start.isoformat()})"
            )
    return problems
