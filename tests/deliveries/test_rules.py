"""The delivery rules without a network: rendering, masking, retry decisions, the documented
signature check."""

from __future__ import annotations

import re
import time

import pytest

from app.deliveries.client import Answer
from app.deliveries.masking import masked_url
from app.deliveries.retry import MAX_DELAY_SECONDS, delay, outcome
from app.deliveries.settings import DeliverySettings
from domain.postback_macros import render_url, signature
from tests.servers import REPOSITORY

SETTINGS = DeliverySettings(retry_base=60, max_attempts=12)


def _answer(status=None, error=None, retry_after=None) -> Answer:
    return Answer(status, error, "", 1.0, retry_after)


def test_macro_values_are_url_encoded_in_urls():
    url = render_url("https://t.example/p/{click}?s={sub1}", {"click": "a/b", "sub1": "x y&z=1"})
    assert url == "https://t.example/p/a%2Fb?s=x%20y%26z%3D1"


@pytest.mark.parametrize(
    ("answer", "decided"),
    [
        (_answer(200), "delivered"),
        (_answer(204), "delivered"),
        (_answer(404), "failed"),
        (_answer(400), "failed"),
        (_answer(408), "retry"),
        (_answer(429), "retry"),
        (_answer(500), "retry"),
        (_answer(302), "retry"),
        (_answer(error="timeout"), "retry"),
    ],
)
def test_what_an_answer_means_for_the_delivery(answer, decided):
    assert outcome(answer, 1, SETTINGS) == decided


def test_the_last_allowed_attempt_failing_fails_the_delivery():
    assert outcome(_answer(500), 12, SETTINGS) == "failed"


def test_retries_double_with_jitter_up_to_a_day_and_honour_retry_after():
    first, third = delay(_answer(500), 1, SETTINGS), delay(_answer(500), 3, SETTINGS)
    assert 45 <= first <= 60 and 180 <= third <= 240
    assert delay(_answer(500), 30, SETTINGS) <= MAX_DELAY_SECONDS
    assert delay(_answer(429, retry_after=7), 5, SETTINGS) == 7


def test_the_delivery_log_masks_the_secret_keys_and_passwords():
    url = "https://u:pw@t.example/s3cr3t/pb?token=abc&cid=1&api_key=zz"
    shown = masked_url(url, secret="s3cr3t")
    assert shown == "https://u:***@t.example/***/pb?token=***&cid=1&api_key=***"


def test_the_documented_python_verification_accepts_our_signature_and_refuses_a_changed_body():
    document = (REPOSITORY / "docs" / "webmaster-postbacks.md").read_text()
    [example] = re.findall(r"```python\n(.*?)```", document, re.S)
    scope: dict = {}
    exec(example, scope)  # noqa: S102 - our own documentation, run as written
    now = int(time.time())
    header = signature("k", now, "POST", "https://t.example/pb?a=1", b'{"x":1}')
    assert scope["verify"]("k", header, "POST", "/pb?a=1", b'{"x":1}')
    assert not scope["verify"]("k", header, "POST", "/pb?a=1", b'{"x":2}')
    stale = signature("k", now - 3600, "GET", "https://t.example/pb", b"")
    assert not scope["verify"]("k", stale, "GET", "/pb", b"")


def test_a_urls_failures_in_a_row_restart_after_a_success_within_one_batch():
    from datetime import UTC, datetime
    from uuid import uuid4

    from projections.deliveries.queue import Attempt, _runs

    one, other = uuid4(), uuid4()

    def attempt(target, outcome):
        at = datetime.now(UTC)
        return Attempt(uuid4(), target, 1, at, "u", "GET", None, None, "", 1.0, outcome, None)

    batch = [attempt(one, "retry"), attempt(one, "delivered"), attempt(one, "retry")]
    batch += [attempt(one, "failed"), attempt(other, "retry"), attempt(other, "retry")]
    assert _runs(batch) == {one: (True, 2), other: (False, 2)}


def test_delivery_settings_are_read_by_their_names():
    settings = DeliverySettings.from_env(
        {
            "LEDGER_DELIVERY_ALLOW": "127.0.0.0/8,10.1.0.0/16",
            "LEDGER_DELIVERY_RETRY_BASE": "2.5",
            "LEDGER_DELIVERY_MAX_ATTEMPTS": "3",
            "LEDGER_DELIVERY_SUSPEND_AFTER": "4",
        }
    )
    assert [str(n) for n in settings.allow] == ["127.0.0.0/8", "10.1.0.0/16"]
    assert (settings.retry_base, settings.max_attempts, settings.suspend_after) == (2.5, 3, 4)
    assert DeliverySettings.from_env({}).allow == ()  # nothing private by default
