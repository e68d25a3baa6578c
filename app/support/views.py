"""What the support page shows, prepared for its templates: money changes, badges, labels.

Templates stay dumb: every decision about how a step reads (which money moved and by how much,
which colour a status gets, what an event means in words) is made here, where it can be tested.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from app.audit.wire import EntryOut, EventOut, HistoryStep, LeadSnapshot
from app.postbacks.resubmission import RESUBMITTABLE
from app.wire import MoneyOut, PostbackOut
from domain.ledger import holder_view

ENDPOINT_LABELS = {"click": "creation", "status": "status change"}


@dataclass(frozen=True)
class MoneyChange:
    """One side's money across a step: before, after, and the signed difference."""

    label: str
    before: str
    after: str
    delta: str | None  # "+2.00" / "−10.00"; None when unchanged or not comparable
    direction: str  # "up", "down" or "same"


@dataclass
class StepView:
    """One timeline item."""

    kind: str
    at: str
    title: str
    outcome: str | None
    error: str | None
    message: str | None
    postback: PostbackOut | None
    lines: list[str]
    status_before: str | None
    status_after: str | None
    money: list[MoneyChange]
    rule_before: str | None
    rule_after: str | None
    entries: list = field(default_factory=list)
    effect: list[MoneyChange] = field(default_factory=list)
    restated_by: str | None = None  # a rebuild replaced the entries this step first posted
    can_resubmit: bool = False
    actor: str | None = None


def step_view(step: HistoryStep) -> StepView:
    before, after = step.before, step.after
    postback = step.postback
    return StepView(
        kind=step.kind,
        at=step.at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        title=_title(step),
        outcome=postback.outcome if postback else None,
        error=postback.error if postback else None,
        message=postback.message if postback else None,
        postback=postback,
        lines=[_event_line(event) for event in step.events],
        status_before=before.status if before else None,
        status_after=after.status if after else None,
        money=_money_changes(before, after),
        rule_before=before.rule_version if before else None,
        rule_after=after.rule_version if after else None,
        entries=[entry for event in step.events for entry in event.entries],
        effect=ledger_effect([entry for event in step.events for entry in event.entries]),
        restated_by=next(
            (e.recalculation_id[:8] for v in step.events for e in v.entries if e.recalculation_id),
            None,
        ),
        can_resubmit=bool(
            postback and postback.outcome == "rejected" and postback.error in RESUBMITTABLE
        ),
        actor=_actor(step),
    )


def _actor(step: HistoryStep) -> str | None:
    if step.recalculation is not None:
        return step.recalculation.actor
    return step.statement_line.by if step.statement_line is not None else None


def _title(step: HistoryStep) -> str:
    if step.recalculation is not None:
        return f"Recalculation {step.recalculation.id[:8]}: a rebuild repriced the lead"
    if step.statement_line is not None:
        return "Settled " + step.statement_line.label
    if step.postback is None:
        return "Lead events (postback not in the log yet)"
    postback = step.postback
    label = ENDPOINT_LABELS.get(postback.endpoint, postback.endpoint)
    resubmitted = " — re-submission" if postback.resubmit_of else ""
    return f"Postback: {label}{resubmitted}"


def _event_line(event: EventOut) -> str:
    data = event.data
    kind = event.type.rpartition(".")[2]
    if kind == "Created":
        return f"Lead created in status {data.get('status')} with goal {data.get('goal')}"
    if kind == "StatusChanged":
        word = data.get("status_word")
        return f"Status {data.get('previous_status')} → {data.get('status')} (sent as “{word}”)"
    if kind == "GoalChanged":
        return f"Goal {data.get('previous_goal')} → {data.get('goal')}"
    if kind == "PayoutSet":
        parts = []
        if data.get("advertiser_amount") is not None:
            parts.append(f"payout {data['advertiser_amount']} {data['advertiser_currency']}")
        if data.get("webmaster_amount") is not None:
            parts.append(f"commission {data['webmaster_amount']} {data['webmaster_currency']}")
        source = "the statement" if data.get("statement_line") else "the postback"
        return f"Amounts sent with {source}: " + ", ".join(parts)
    return kind


def _money_changes(before: LeadSnapshot | None, after: LeadSnapshot | None) -> list[MoneyChange]:
    return [
        money_change(label, _side(before, side), _side(after, side))
        for label, side in (
            ("Advertiser pays", "advertiser_payout"),
            ("Webmaster earns", "webmaster_commission"),
        )
    ]


def _side(snapshot: LeadSnapshot | None, name: str) -> MoneyOut | None:
    return getattr(snapshot, name) if snapshot else None


def money_change(label: str, before: MoneyOut | None, after: MoneyOut | None) -> MoneyChange:
    shown_before, shown_after = _shown(before), _shown(after)
    old = Decimal(before.amount) if before else Decimal(0)
    new = Decimal(after.amount) if after else Decimal(0)
    comparable = before is None or after is None or before.currency == after.currency
    if not comparable or old == new:
        direction = "same" if shown_before == shown_after else "changed"
        return MoneyChange(label, shown_before, shown_after, None, direction)
    difference = new - old
    sign = "+" if difference > 0 else "−"
    return MoneyChange(
        label,
        shown_before,
        shown_after,
        f"{sign}{abs(difference)}",
        "up" if difference > 0 else "down",
    )


def _shown(money: MoneyOut | None) -> str:
    return f"{money.amount} {money.currency}" if money else "—"


def ledger_effect(entries: list[EntryOut]) -> list[MoneyChange]:
    """What a step's entries moved, per account and bucket, as each holder reads it."""
    sums: dict[tuple[str, str, str], Decimal] = {}
    for entry in entries:
        key = (entry.account, entry.bucket, entry.currency)
        sums[key] = sums.get(key, Decimal(0)) + Decimal(entry.amount)
    moved = []
    for (account, bucket, currency), total in sums.items():
        seen = holder_view(account, total)
        if not seen.is_zero():
            sign, direction = ("+", "up") if seen > 0 else ("−", "down")
            label = f"{account} {bucket}"
            moved.append(MoneyChange(label, "", currency, f"{sign}{abs(seen)}", direction))
    return moved
