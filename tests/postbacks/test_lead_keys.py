"""The keys that name a lead over HTTP: the pinned ids, and the separator no parameter may hold.

A lead's id is derived from (click, exto) or (flow, exto) joined by `domain.identity.SEPARATOR`. A
parameter holding that character could make one key derive another key's id, so it is refused
like any malformed postback: a 400 with its own code, nothing changed, the refusal stored.
"""

from __future__ import annotations

import pytest

from domain.identity import SEPARATOR
from tests.checks import accepted, assert_logged_refusal, refused, snapshot, stored_postbacks
from tests.controls import SITE_TOKEN, change, create, new_click

CREATION_URL = "/api/site/click.json"
STATUS_URL = "/api/site/status.json"


def test_a_lead_created_by_flow_and_exto_gets_the_pinned_id(demo):
    body = accepted(create(demo, flow="101", exto="x-1"))

    assert body["id"] == "c468cc47-ff02-5629-aef1-ce556a129eb2"  # tests/domain/test_identity.py


def test_the_separator_is_the_unit_separator_character():
    assert SEPARATOR == "\x1f"


SEPARATED_CREATIONS = {
    "in the exto": lambda client: create(client, flow="101", exto=f"1{SEPARATOR}x"),
    "in the click": lambda client: create(client, click=f"c{SEPARATOR}1", exto="x"),
    "in another parameter": lambda client: create(
        client, flow="101", exto="e-1", sub1=f"a{SEPARATOR}b"
    ),
    "in a parameter name": lambda client: create(
        client, flow="101", exto="e-2", **{f"a{SEPARATOR}b": "1"}
    ),
    "in a JSON body": lambda client: client.post(
        CREATION_URL, json={"token": SITE_TOKEN, "flow": 101, "exto": f"10{SEPARATOR}1x"}
    ),
    "in a form body": lambda client: client.post(
        CREATION_URL,
        content=f"token={SITE_TOKEN}&flow=101&exto=1%1Fx".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
}


@pytest.mark.parametrize("send", SEPARATED_CREATIONS.values(), ids=SEPARATED_CREATIONS)
def test_a_creation_with_the_separator_is_400_reserved_character_creates_nothing_and_is_stored(
    demo, services, send
):
    refused(send(demo), 400, "reserved_character")

    row = assert_logged_refusal(demo, services, 400, "reserved_character")
    assert row["lead_id"] is None
    assert stored_postbacks(demo, services, outcome="created") == []


def test_a_status_change_with_the_separator_in_its_exto_changes_nothing_and_is_stored(
    demo, services
):
    click = new_click(demo)
    lead_id = accepted(create(demo, click=click, exto="order-1"))["id"]
    before = snapshot(demo, services, lead_id)

    refused(
        demo.get(f"{STATUS_URL}?token={SITE_TOKEN}&click={click}&exto=order-1%1F&status=approve"),
        400,
        "reserved_character",
    )

    assert snapshot(demo, services, lead_id) == before
    assert_logged_refusal(demo, services, 400, "reserved_character")


def test_a_status_change_by_flow_with_the_separator_is_refused(demo, services):
    accepted(create(demo, flow="101", exto="x"))

    refused(change(demo, flow="101", exto=f"x{SEPARATOR}", status="approve"), 400,
            "reserved_character")  # fmt: skip

    assert_logged_refusal(demo, services, 400, "reserved_character")
