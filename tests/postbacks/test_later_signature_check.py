"""The writer's own signature check (for a site the screen did not yet know signs).

A batch may be decided more than once (a newer catalog, a version conflict): the check then runs
again for the same postback, and must not take the signature it already used for a replay.
A second postback with the same signature is still a replay.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from app.postbacks.screening import open_screen
from domain.signatures import SIGNATURE_HEADER, BadSignature, sign

PATH = "/api/site/click.json"
QUERY = b"token=7-s3cr3t&flow=101&exto=twice"


def signed_request(secret: str) -> SimpleNamespace:
    signature = sign(secret, int(time.time()), "GET", PATH, QUERY, b"")
    return SimpleNamespace(
        headers={SIGNATURE_HEADER: signature},
        method="GET",
        scope={"path": PATH, "query_string": QUERY},
    )


def test_a_postback_decided_again_keeps_its_own_signature(services):
    screen = open_screen(services)
    request = signed_request(screen.signing_secret(7))
    check = screen.later_signature_check(request, b"")

    check(7)
    check(7)  # the same postback, its batch decided again: not a replay

    with pytest.raises(BadSignature, match="used before"):
        screen.later_signature_check(request, b"")(7)  # another postback, same signature
