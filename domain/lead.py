"""The Lead aggregate: one lead that a webmaster sent to an advertiser, and its life.

Its events are the audit trail of the money: the ledger is a projection of them. Each event
carries the id of the postback that caused it, so every figure can be traced to what a sender
sent. Decisions (what a postback means) live in `domain.postback_rules`; the event methods here
only assign state, because they run again on every replay and must accept every old event.

A change settled from an advertiser's statement (`domain.reconciliation`) has no postback: its
`postback_id` is the statement line's own id (`domain.identity.statement_line_id`) and
`statement_line` says which reconciliation, line and file caused it. Events stored before that
field existed read it as None.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.money import Money
from domain.statuses import Status


class Lead(Aggregate):
    """A lead of one offer, reported by the advertiser through postbacks."""

    class Created(Aggregate.Created):
        postback_id: UUID
        click: str | None
        exto: str | None
        flow: int
        offer: str
        advertiser: str
        webmaster: str
        goal: str
        status: str
        statement_line: dict | None = None

    @event(Created)
    def __init__(
        self,
        id: UUID,  # noqa: A002 - given, not generated: see domain.identity
        postback_id: UUID,
        click: str | None,
        exto: str | None,
        flow: int,
        offer: str,
        advertiser: str,
        webmaster: str,
        goal: str,
        status: str,
        statement_line: dict | None = None,
    ) -> None:
        self.click = click
        self.exto = exto
        self.flow = flow
        self.offer = offer
        self.advertiser = advertiser
        self.webmaster = webmaster
        self.goal = goal
        self.status = Status(status)
        self.advertiser_payout_override: Money | None = None
        self.webmaster_commission_override: Money | None = None
        self.last_postback_id = postback_id

    class StatusChanged(Aggregate.Event):
        postback_id: UUID
        status: str
        previous_status: str
        status_word: str
        statement_line: dict | None = None

    @event(StatusChanged)
    def _change_status(
        self,
        postback_id: UUID,
        status: str,
        previous_status: str,
        status_word: str,
        statement_line: dict | None = None,
    ) -> None:
        self.status = Status(status)
        self.last_postback_id = postback_id

    class GoalChanged(Aggregate.Event):
        postback_id: UUID
        goal: str
        previous_goal: str

    @event(GoalChanged)
    def _change_goal(self, postback_id: UUID, goal: str, previous_goal: str) -> None:
        self.goal = goal
        # A new goal is paid at its own rate unless the same postback sets amounts again.
        self.advertiser_payout_override = None
        self.webmaster_commission_override = None
        self.last_postback_id = postback_id

    class PayoutSet(Aggregate.Event):
        """Per-lead amounts sent with the postback (`pay`/`cc`, `wm`); None keeps the rate."""

        postback_id: UUID
        advertiser_amount: Decimal | None
        advertiser_currency: str | None
        webmaster_amount: Decimal | None
        webmaster_currency: str | None
        statement_line: dict | None = None

    @event(PayoutSet)
    def _set_payout(
        self,
        postback_id: UUID,
        advertiser_amount: Decimal | None,
        advertiser_currency: str | None,
        webmaster_amount: Decimal | None,
        webmaster_currency: str | None,
        statement_line: dict | None = None,
    ) -> None:
        if advertiser_amount is not None and advertiser_currency is not None:
            self.advertiser_payout_override = Money(advertiser_amount, advertiser_currency)
        if webmaster_amount is not None and webmaster_currency is not None:
            self.webmaster_commission_override = Money(webmaster_amount, webmaster_currency)
        self.last_postback_id = postback_id

    # Public commands: each records one fact the caller has already decided is a change.

    def change_status(
        self,
        postback_id: UUID,
        status: Status,
        status_word: str,
        statement_line: dict | None = None,
    ) -> None:
        self._change_status(
            postback_id=postback_id,
            status=status.value,
            previous_status=self.status.value,
            status_word=status_word,
            statement_line=statement_line,
        )

    def change_goal(self, postback_id: UUID, goal: str) -> None:
        self._change_goal(postback_id=postback_id, goal=goal, previous_goal=self.goal)

    def set_payout(
        self,
        postback_id: UUID,
        advertiser: Money | None,
        webmaster: Money | None,
        statement_line: dict | None = None,
    ) -> None:
        self._set_payout(
            postback_id=postback_id,
            advertiser_amount=advertiser.amount if advertiser else None,
            advertiser_currency=advertiser.currency if advertiser else None,
            webmaster_amount=webmaster.amount if webmaster else None,
            webmaster_currency=webmaster.currency if webmaster else None,
            statement_line=statement_line,
        )

    @property
    def created_at(self) -> datetime:
        return self._created_on
