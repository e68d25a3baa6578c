"""What a webmaster's tracker hears of a lead event: the macros, the request, its signature.

Only what the webmaster may know goes out: their own commission, the click and its subs, the
lead, offer, flow, goal and status. The advertiser's payout and identity and the network's
margin have no macro, and the request is built from the macro values alone, so they cannot
leak by a template or a body. Pure: no I/O, no clock (the caller gives the time).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlencode, urlsplit
from uuid import UUID

import msgspec

from domain.lead import Lead
from domain.lead_state import LeadState
from domain.money import Money
from domain.postback_urls import ascii_url

MACROS = (
    "click", "exto", "lead", "status", "goal", "commission", "currency", "offer", "flow",
    "sub1", "sub2", "sub3", "sub4", "sub5", "time", "delivery",
)  # fmt: skip
_MACRO = re.compile(r"\{([^{}]*)\}")
SIGNATURE_HEADER = "X-Postback-Signature"


def macro_problems(path: str, template: str) -> list[str]:
    """Unknown macros in a URL template: sent unfilled, a tracker would log a literal `{…}`."""
    return [
        f"{path}: unknown macro {{{name}}}; known: {', '.join('{' + m + '}' for m in MACROS)}"
        for name in dict.fromkeys(_MACRO.findall(template))
        if name not in MACROS
    ]


def event_words(event: object) -> tuple[str, frozenset[str]] | None:
    """(the event's name, the words a target's `events` filter matches it by); None if a
    webmaster hears nothing of it. A lead created in some status is also that status."""
    if isinstance(event, Lead.Created):
        return "created", frozenset(("created", event.status))
    if isinstance(event, Lead.StatusChanged):
        return event.status, frozenset((event.status,))
    if isinstance(event, Lead.GoalChanged):
        return "goal", frozenset(("goal",))
    if isinstance(event, Lead.PayoutSet):
        return "payout", frozenset(("payout",))
    return None


def macro_values(
    lead: LeadState,
    commission: Money | None,
    subs: dict[str, str],
    at: datetime,
    delivery: UUID,
) -> dict[str, str]:
    """Every macro's value for one delivery of one lead event (missing values are empty)."""
    return {
        "click": lead.click or "",
        "exto": lead.exto or "",
        "lead": str(lead.id),
        "status": lead.status.value,
        "goal": lead.goal,
        "commission": "" if commission is None else str(commission.amount),
        "currency": "" if commission is None else commission.currency,
        "offer": lead.offer,
        "flow": str(lead.flow),
        **{f"sub{n}": subs.get(f"sub{n}", "") for n in range(1, 6)},
        "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "delivery": str(delivery),
    }


def render_url(template: str, values: dict[str, str]) -> str:
    """The template with each macro replaced by its URL-encoded value, all in ASCII (an IDNA
    host, non-ASCII text of the template percent-encoded as UTF-8)."""
    return ascii_url(_MACRO.sub(lambda found: quote(values[found.group(1)], safe=""), template))


@dataclass(frozen=True)
class Request:
    """What goes out for one delivery: the HTTP method, URL, body and its content type."""

    method: str
    url: str
    body: bytes = b""
    content_type: str | None = None


def build_request(method: str, template: str, values: dict[str, str], event: str) -> Request:
    """GET carries everything in the URL; POST a form body, JSON a JSON body, of the same
    macro values (and the event's name)."""
    url = render_url(template, values)
    fields = {"event": event, **values}
    if method == "POST":
        body = urlencode(fields).encode()
        return Request("POST", url, body, "application/x-www-form-urlencoded")
    if method == "JSON":
        return Request("POST", url, msgspec.json.encode(fields), "application/json")
    return Request("GET", url)


def signed_message(timestamp: int, method: str, url: str, body: bytes) -> bytes:
    """What the signature covers: the time, the method, the path with its query, the body."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return f"{timestamp}\n{method}\n{target}\n".encode() + body


def signature(secret: str, timestamp: int, method: str, url: str, body: bytes) -> str:
    """The `X-Postback-Signature` header's value: `t=<unix seconds>,v1=<hex HMAC-SHA256>`."""
    digest = hmac.new(
        secret.encode(), signed_message(timestamp, method, url, body), hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"
