"""A lead's history as a rich table for the terminal: one row per postback or recalculation."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from app.audit.wire import HistoryStep, LeadHistoryOut, LeadSnapshot
from app.wire import MoneyOut


def history_table(history: LeadHistoryOut) -> Table:
    table = Table(
        title=f"Lead {history.id}",
        caption=f"click {history.click or '-'}  exto {history.exto or '-'}  flow {history.flow}  "
        f"offer {history.offer}  advertiser {history.advertiser}  webmaster {history.webmaster}",
        show_lines=True,
    )
    for column in ("when", "what", "outcome", "status", "payout", "commission", "rule", "entries"):
        table.add_column(column)
    for step in history.steps:
        table.add_row(*_cells(step))
    return table


def _cells(step: HistoryStep) -> list[str | Text]:
    before, after = step.before, step.after
    return [
        step.at.strftime("%Y-%m-%d %H:%M:%S"),
        _what(step),
        _outcome(step),
        _change(before.status if before else None, after.status if after else None),
        _money_change(before, after, "advertiser_payout"),
        _money_change(before, after, "webmaster_commission"),
        after.rule_version if after else "",
        str(sum(len(event.entries) for event in step.events)),
    ]


def _what(step: HistoryStep) -> str:
    if step.recalculation is not None:
        actor = step.recalculation.actor or "?"
        return f"recalculation {step.recalculation.id[:8]} by {actor}"
    lines = [step.statement_line.label] if step.statement_line is not None else []
    if step.postback is not None:
        postback = step.postback
        params = " ".join(f"{k}={','.join(v)}" for k, v in postback.params.items())
        lines.append(f"{postback.method} {postback.endpoint} from {postback.source_ip}: {params}")
    lines += [f"  {event.type} (position {event.position})" for event in step.events]
    if step.hold:
        lines.append(step.hold)
    return "\n".join(lines)


def _outcome(step: HistoryStep) -> Text:
    if step.postback is None:
        return Text("recalculated" if step.recalculation else "", style="magenta")
    postback = step.postback
    label = postback.outcome + (f" {postback.error}" if postback.error else "")
    style = {"rejected": "red", "ignored": "yellow"}.get(postback.outcome, "green")
    return Text(label, style=style)


def _change(before: str | None, after: str | None) -> str:
    if before == after:
        return after or ""
    return f"{before or '-'} → {after or '-'}"


def _money_change(before: LeadSnapshot | None, after: LeadSnapshot | None, side: str) -> Text:
    old: MoneyOut | None = getattr(before, side) if before else None
    new: MoneyOut | None = getattr(after, side) if after else None
    shown = _money(new)
    if _money(old) == shown:
        return Text(shown)
    return Text(f"{_money(old)} → {shown}", style="bold")


def _money(money: MoneyOut | None) -> str:
    return f"{money.amount} {money.currency}" if money else "-"
