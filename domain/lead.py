"""The Lead aggregate: one lead that a webmaster sent to an advertiser, and its life.

Its events are the audit trail of the money: the ledger is a projection of them. Each event
carries the id of the postback that caused it, so every figure can be traced to what a sender
sent. Decisions (what a postback means) live in `domain.postback_rules`; the event methods here
only assign state, because they run again on every replay and must accept every old event. What
each event sets is written once, in `domain.lead_effects`, which the read models' fold
(`domain.lead_state`) applies too.

A change settled from an advertiser's statement (`domain.reconciliation`) has no postback: its
`postback_id` is the statement line's own id (`domain.identity.statement_line_id`) and
`statement_line` says which reconciliation, line and file caused it. Events stored before that
field existed read it as None.

A lead that enters `hold` under a catalog hold rule carries the hold's terms (`hold`: until,
after_hold, rule, catalog_version; `domain.hold_rules.HoldTerms`) on the event that put it there;
a release by that rule is a `StatusChanged` whose `cause` says so (`domain.hold_release`). Events
stored before these fields existed read them as None. The lead keeps its running hold in `hold`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain import lead_effects
from domain.money import Money
from domain.statuses import Status


class Lead(Aggregate):
    """A lead of one offer, reported by the advertiser through postbacks.

    Its fields are those `domain.lead_effects` names: click, exto, flow, offer, advertiser,
    webmaster, goal, status, advertiser_payout_override, webmaster_commission_override and
    last_postback_id.
    """

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
        hold: dict | None = None
        occurred_at: datetime | None = None  # a statement line's time, when it created the lead

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
        hold: dict | None = None,
        occurred_at: datetime | None = None,
    ) -> None:
        self.hold = hold
        self._occurred_at = occurred_at
        vars(self).update(
            lead_effects.created(
                postback_id=postback_id,
                click=click,
                exto=exto,
                flow=flow,
                offer=offer,
                advertiser=advertiser,
                webmaster=webmaster,
                goal=goal,
                status=status,
            )
        )

    class StatusChanged(Aggregate.Event):
        postback_id: UUID
        status: str
        previous_status: str
        status_word: str
        statement_line: dict | None = None
        hold: dict | None = None
        cause: dict | None = None

    @event(StatusChanged)
    def _change_status(
        self,
        postback_id: UUID,
        status: str,
        previous_status: str,
        status_word: str,
        statement_line: dict | None = None,
        hold: dict | None = None,
        cause: dict | None = None,
    ) -> None:
        vars(self).update(lead_effects.status_changed(postback_id, status))
        self.hold = hold

    class GoalChanged(Aggregate.Event):
        postback_id: UUID
        goal: str
        previous_goal: str
        statement_line: dict | None = None

    @event(GoalChanged)
    def _change_goal(
        self, postback_id: UUID, goal: str, previous_goal: str, statement_line: dict | None = None
    ) -> None:
        vars(self).update(lead_effects.goal_changed(postback_id, goal))

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
        vars(self).update(
            lead_effects.payout_set(
                self,
                postback_id,
                advertiser_amount,
                advertiser_currency,
                webmaster_amount,
                webmaster_currency,
            )
        )

    # Public commands: each records one fact the caller has already decided is a change.

    def change_status(
        self,
        postback_id: UUID,
        status: Status,
        status_word: str,
        statement_line: dict | None = None,
        hold: dict | None = None,
        cause: dict | None = None,
    ) -> None:
        self._change_status(
            postback_id=postback_id,
            status=status.value,
            previous_status=self.status.value,
            status_word=status_word,
            statement_line=statement_line,
            hold=hold,
            cause=cause,
        )

    def change_goal(self, postback_id: UUID, goal: str, statement_line: dict | None = None) -> None:
        self._change_goal(postback_id=postback_id, goal=goal, previous_goal=self.goal,
                          statement_line=statement_line)  # fmt: skip

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
        return vars(self).get("_occurred_at") or self._created_on
