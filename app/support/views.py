"""What the support page shows, prepared for its templates: money changes, badges, labels.

Templates stay dumb: every decision about how a step reads (which money moved and by how much,
which colour a status gets, what an event means in words) is made here, where it can be tested.

One sign convention everywhere on the page: amounts are shown as their holder reads them
(`domain.ledger.holder_view`), so + means the holder's balance grew (the webmaster earned more,
the advertiser owes more, the network's margin grew) and − that it shrank. The ledger stores
entries debit positive (a webmaster's earning is stored as −10.00); the page shows that stored
figure only in a tooltip, and its CSV downloads carry both columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import quote

from app.audit.wire import EntryOut, EventOut, HistoryStep, LeadSnapshot
from app.deliveries.timeline import sent_lines
from app.postbacks.resubmission import RESUBMITTABLE
from app.wire import MoneyOut, PostbackOut
from domain.hold_release import hold_words
from domain.ledger import NETWORK, holder_view

ENDPOINT_LABELS = {"click": "creation", "status": "status change"}


@dataclass(frozen=True)
class MoneyChange:
    """One side's money across a step: before, after, and the signed difference."""

    label: str
    before: str
    after: str
    delta: str | None  # "+2.00" / "−10.00"; None when unchanged or not comparable
    direction: str  # "up", "down" or "same"
    url: str | None = None  # the account's page, for a ledger effect


@dataclass(frozen=True)
class EntryLine:
    """One ledger entry as its holder reads it, with the stored (debit positive) figure."""

    account: str
    account_url: str | None
    bucket: str
    shown: str  # "+10.00" / "−10.00", the holder's view
    direction: str  # "up", "down" or "same"
    stored: str  # the entry's signed amount as the ledger stores it
    currency: str
    reverses: bool
    rule_version: str


def entry_line(entry: EntryOut) -> EntryLine:
    seen = holder_view(entry.account, Decimal(entry.amount))
    return EntryLine(
        entry.account,
        account_url(entry.account),
        entry.bucket,
        signed(seen),
        direction_of(seen),
        entry.amount,
        entry.currency,
        entry.reverses,
        entry.rule_version,
    )


def signed(amount: Decimal) -> str:
    """An amount with its sign always written, and a true minus sign."""
    if amount.is_zero():
        return f"{abs(amount)}"
    return f"+{amount}" if amount > 0 else f"−{abs(amount)}"


def direction_of(amount: Decimal) -> str:
    return "same" if amount.is_zero() else "up" if amount > 0 else "down"


def account_url(account: str) -> str | None:
    """The support page of a webmaster's or advertiser's account; None for the network."""
    kind, _, holder = account.partition(":")
    if account == NETWORK or kind not in ("webmaster", "advertiser") or not holder:
        return None
    return f"/support/accounts/{kind}/{quote(holder, safe='')}"


def current_amounts(steps: list[HistoryStep]) -> LeadSnapshot | None:
    """The lead as it stands now: the state after its last step that changed or kept one."""
    return next((step.after for step in reversed(steps) if step.after is not None), None)


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
    entries: list[EntryLine] = field(default_factory=list)
    effect: list[MoneyChange] = field(default_factory=list)
    restated_by: str | None = None  # a rebuild replaced the entries this step first posted
    can_resubmit: bool = False
    actor: str | None = None
    resendable: list[tuple[str, str]] = field(default_factory=list)  # (delivery id, webmaster)


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
        lines=[line for event in step.events for line in (_event_line(event), *sent_lines(event))],
        status_before=before.status if before else None,
        status_after=after.status if after else None,
        money=_money_changes(before, after),
        rule_before=before.rule_version if before else None,
        rule_after=after.rule_version if after else None,
        entries=[entry_line(entry) for event in step.events for entry in event.entries],
        effect=ledger_effect([entry for event in step.events for entry in event.entries]),
        restated_by=next(
            (e.recalculation_id[:8] for v in step.events for e in v.entries if e.recalculation_id),
            None,
        ),
        can_resubmit=bool(
            postback and postback.outcome == "rejected" and postback.error in RESUBMITTABLE
        ),
        actor=_actor(step),
        resendable=[(s.delivery.id, s.delivery.webmaster) for e in step.events for s in e.sent],
    )


def _actor(step: HistoryStep) -> str | None:
    if step.recalculation is not None:
        return step.recalculation.actor
    if step.postback is not None and step.postback.resubmitted_by:
        return step.postback.resubmitted_by
    return step.statement_line.by if step.statement_line is not None else None


def _title(step: HistoryStep) -> str:
    if step.recalculation is not None:
        return f"Recalculation {step.recalculation.id[:8]}: a rebuild repriced the lead"
    if step.statement_line is not None:
        return "Settled " + step.statement_line.label
    if step.kind == "hold_release" and step.hold:
        return step.hold[:1].upper() + step.hold[1:]
    if step.postback is None:
        return "Lead events (postback not in the log yet)"
    postback = step.postback
    label = ENDPOINT_LABELS.get(postback.endpoint, postback.endpoint)
    resubmitted = " — re-submission" if postback.resubmit_of else ""
    return f"Postback: {label}{resubmitted}"


def _event_line(event: EventOut) -> str:
    data = event.data
    kind = event.type.rpartition(".")[2]
    held = hold_words(data)
    if kind == "Created":
        line = f"Lead created in status {data.get('status')} with goal {data.get('goal')}"
        return f"{line}, {held}" if held else line
    if kind == "StatusChanged":
        if held and data.get("cause"):
            return f"Status {data.get('previous_status')} → {data.get('status')}: {held}"
        word = data.get("status_word")
        line = f"Status {data.get('previous_status')} → {data.get('status')} (sent as “{word}”)"
        return f"{line}, {held}" if held else line
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
            label = f"{account} {bucket}"
            moved.append(
                MoneyChange(
                    label, "", currency, signed(seen), direction_of(seen), account_url(account)
                )
            )
    return moved
