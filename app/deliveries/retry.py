"""What an attempt's answer means for its delivery: delivered, retried (when), or failed.

2xx is delivered. 4xx other than 408 and 429 says the request itself is wrong: retrying sends
the same request, so it fails at once (support can resend). Everything else — 5xx, 408, 429, a
redirect (never followed), a timeout, a dropped connection — is retried after
`LEDGER_DELIVERY_RETRY_BASE` seconds, doubling, with jitter, up to 24 h, or after the receiver's
`Retry-After` when it says one, until `LEDGER_DELIVERY_MAX_ATTEMPTS` attempts were made.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from app.deliveries.client import Answer
from app.deliveries.settings import DeliverySettings

MAX_DELAY_SECONDS = 24 * 3600.0


def outcome(answer: Answer, attempts: int, settings: DeliverySettings) -> str:
    """`attempts`: attempts made in the delivery's current allowance, this one included."""
    status = answer.http_status
    if status is not None and 200 <= status < 300:
        return "delivered"
    if answer.refused or (status is not None and 400 <= status < 500 and status not in (408, 429)):
        return "failed"
    return "failed" if attempts >= settings.max_attempts else "retry"


def delay(answer: Answer, attempts: int, settings: DeliverySettings) -> float:
    """Seconds until the next attempt, after `attempts` attempts."""
    if answer.retry_after is not None:
        return min(answer.retry_after, MAX_DELAY_SECONDS)
    backoff = min(settings.retry_base * 2 ** (attempts - 1), MAX_DELAY_SECONDS)
    return backoff * random.uniform(0.75, 1.0)  # jitter: receivers recovering are not stampeded


def next_attempt_at(
    answer: Answer, attempts: int, settings: DeliverySettings, now: datetime
) -> datetime | None:
    if outcome(answer, attempts, settings) != "retry":
        return None
    return now + timedelta(seconds=delay(answer, attempts, settings))
