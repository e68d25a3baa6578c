"""Rate limits per token, and admin tokens rotated with an overlap period."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.postbacks.rate_limit import RateLimiter
from app.settings import Settings
from tests.controls import ADMIN_TOKEN, create
from tests.security_controls import postback_log


@pytest.fixture
def settings(tmp_path):
    yesterday = date.today() - timedelta(days=1)
    return Settings(
        data_dir=tmp_path,
        admin_tokens={"support": ADMIN_TOKEN, "retired": "old-admin-token"},
        admin_token_expiry={"retired": yesterday},
        pool_size=5,
        rate_limit_per_second=1.0,
        rate_limit_burst=3,
    )


def stopped_clock(client) -> None:
    """The app's limiter (1 a second, bursts of 3) on a clock that does not move: however
    slowly the machine sends the postbacks, no bucket refills between them."""
    client.app.state.screen.limiter = RateLimiter(per_second=1.0, burst=3, clock=lambda: 0.0)


def test_a_token_over_its_rate_gets_429_with_retry_after_and_the_refusal_is_recorded(
    demo, services
):
    stopped_clock(demo)

    answers = [create(demo, flow="101", exto=f"burst-{n}") for n in range(5)]

    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    limited = answers[3]
    assert limited.status_code == 429 and limited.json()["error"] == "rate_limited"
    assert int(limited.headers["retry-after"]) >= 1
    assert len(postback_log(demo, services, error="rate_limited")) == 2


def test_the_rate_limit_of_one_token_does_not_slow_another(demo):
    stopped_clock(demo)
    busy = [create(demo, flow="101", exto=f"busy-{n}").status_code for n in range(4)]
    assert busy[-1] == 429

    other = create(demo, token="8-l0an-key", flow="201", exto="quiet-1")

    assert other.status_code == 200, other.text


def test_a_bucket_refills_at_the_configured_rate():
    now = [0.0]
    limiter = RateLimiter(per_second=2.0, burst=1, clock=lambda: now[0])

    assert limiter.take("site:7") == 0
    assert limiter.take("site:7") == 1
    now[0] += 0.5
    assert limiter.take("site:7") == 0


def test_an_admin_token_past_its_expiry_day_is_refused_while_the_new_one_works(demo):
    old = demo.get("/api/postbacks", headers={"Authorization": "Bearer old-admin-token"})
    new = demo.get("/api/postbacks", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})

    assert old.status_code == 401
    assert new.status_code == 200


def test_admin_tokens_with_an_expiry_day_are_read_from_the_environment():
    settings = Settings.from_env({"LEDGER_ADMIN_TOKENS": "old:secret-1:2026-12-31, new:secret-2"})

    assert settings.admin_tokens == {"old": "secret-1", "new": "secret-2"}
    assert settings.admin_token_expiry == {"old": date(2026, 12, 31)}
