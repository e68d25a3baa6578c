"""A rotated signing secret: every attempt made after the rotation is signed with the new one,
whether its delivery was queued before the rotation or after."""

from __future__ import annotations

from tests.controls import ADMIN
from tests.deliveries.test_content import _independent_signature_check
from tests.delivery_controls import (
    configure,
    deliveries,
    notifying,
    postbacks_toml,
    received_within,
    receiving,
    settled,
)
from tests.ledger_controls import changed, created_lead


def test_attempts_after_a_rotation_are_signed_with_the_new_secret(demo, services):
    later = (500, {"Retry-After": "3600"})
    with receiving(later, (200, {})) as receiver, notifying(services):
        url = receiver.url("/pb?st={status}")
        configure(demo, postbacks_toml(url, secret="old-secret"))
        created_lead(demo, exto="rotated")
        changed(demo, exto="rotated", status="approved")  # queued, held behind the first
        [first] = received_within(receiver, 1)
        configure(demo, postbacks_toml(url, secret="new-secret"))
        [waiting] = [d for d in deliveries(demo) if d["event"] == "created"]
        resent = demo.post(f"/api/deliveries/{waiting['id']}/resend", headers=ADMIN)
        assert resent.status_code == 200, resent.text
        settled(demo, 2)
        _, retried, approved = received_within(receiver, 3)
    _independent_signature_check(first, "old-secret")
    _independent_signature_check(retried, "new-secret")
    _independent_signature_check(approved, "new-secret")
    assert approved.path == "/pb?st=approve"
