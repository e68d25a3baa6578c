"""Turning folded lead states and domain events into the plain shapes the audit views show."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from app.audit.wire import LeadSnapshot
from app.wire import MoneyOut
from domain.lead_state import LeadAmounts, LeadState
from domain.money import Money

_ENVELOPE = {"originator_id", "originator_version", "timestamp"}


def money_out(money: Money | None) -> MoneyOut | None:
    if money is None:
        return None
    wire = money.to_wire()
    return MoneyOut(amount=wire["amount"], currency=wire["currency"])


def snapshot(state: LeadState, amounts: LeadAmounts) -> LeadSnapshot:
    return LeadSnapshot(
        status=state.status.value,
        goal=state.goal,
        advertiser_payout=money_out(amounts.advertiser_payout),
        webmaster_commission=money_out(amounts.webmaster_commission),
        rule_version=amounts.rule_version,
        version=state.version,
    )


def event_data(event: object) -> dict[str, Any]:
    """An event's own fields (not its envelope), as JSON-friendly values."""
    return {
        name: _plain(value)
        for name, value in vars(event).items()
        if name not in _ENVELOPE and not name.startswith("_")
    }


def _plain(value: object) -> Any:
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value
