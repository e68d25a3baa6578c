"""Target URLs as trackers use them: Cyrillic paths and queries, international host names,
credentials in the URL, one URL with two methods."""

from __future__ import annotations

import base64
import logging

from tests.controls import ADMIN
from tests.delivery_controls import (
    FAST,
    configure,
    deliveries,
    detail,
    notifying,
    postbacks_toml,
    received_within,
    receiving,
    settled,
)
from tests.ledger_controls import created_lead
from tests.support.test_page import logged_in


def test_non_ascii_path_and_query_are_sent_percent_encoded_as_utf8(demo, services):
    with receiving((200, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url("/постбек?статус=одобрен&st={status}")))
        created_lead(demo, exto="cyrillic")
        [delivery] = settled(demo, 1)
        [request] = received_within(receiver, 1)
    assert request.path == (
        "/%D0%BF%D0%BE%D1%81%D1%82%D0%B1%D0%B5%D0%BA"
        "?%D1%81%D1%82%D0%B0%D1%82%D1%83%D1%81=%D0%BE%D0%B4%D0%BE%D0%B1%D1%80%D0%B5%D0%BD&st=new"
    )
    assert delivery["attempts"] == 1


def test_an_international_host_is_looked_up_and_sent_as_idna(demo, services):
    asked = []

    def resolver(host, port):
        asked.append(host)
        return ["127.0.0.1"]

    with receiving((200, {})) as receiver, notifying(services, FAST, resolver=resolver):
        configure(demo, postbacks_toml(f"http://трекер.рф:{receiver.port}/pb"))
        created_lead(demo, exto="idna")
        settled(demo, 1)
        [request] = received_within(receiver, 1)
    assert asked == ["xn--e1aaowdh.xn--p1ai"]  # "трекер.рф".encode("idna")
    assert request.headers["host"] == f"xn--e1aaowdh.xn--p1ai:{receiver.port}"


def test_credentials_in_the_url_go_as_basic_authorization_and_are_masked(demo, services):
    with receiving((200, {})) as receiver, notifying(services):
        url = f"http://tracker:p%40ss@127.0.0.1:{receiver.port}/pb?st={{status}}"
        configure(demo, postbacks_toml(url))
        created_lead(demo, exto="basic")
        [delivery] = settled(demo, 1)
        [request] = received_within(receiver, 1)
        shown = [
            delivery["url"],
            detail(demo, delivery["id"])["attempt_log"][0]["url"],
            demo.get("/api/deliveries/targets", headers=ADMIN).json()["items"][0]["url"],
        ]
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"tracker:p@ss").decode()
    assert request.path == "/pb?st=new"
    assert all("tracker:***@127.0.0.1" in url and "p%40ss" not in url for url in shown), shown


def test_one_url_with_two_methods_is_two_targets(demo, services):
    with receiving((200, {})) as receiver, notifying(services):
        url = receiver.url("/pb")
        toml = postbacks_toml(url) + f'  [[webmasters.postbacks]]\n  url = "{url}"\n'
        toml += '  method = "POST"\n'
        configure(demo, toml)
        created_lead(demo, exto="two-methods")
        settled(demo, 2)
        received_within(receiver, 2)
    assert sorted(r.method for r in receiver.received) == ["GET", "POST"]
    assert len(deliveries(demo)) == 2
    assert len(demo.get("/api/deliveries/targets", headers=ADMIN).json()["items"]) == 2


def test_a_key_in_the_path_marked_secret_is_masked_wherever_the_url_is_shown(
    demo, services, caplog
):
    caplog.set_level(logging.WARNING)
    with receiving((200, {})) as receiver, notifying(services):
        url = receiver.url("/k3y-in-path/postback?st={status}")
        configure(demo, postbacks_toml(url, url_secret="k3y-in-path"))
        lead_id, _ = created_lead(demo, exto="path-key")
        [delivery] = settled(demo, 1)
        [request] = received_within(receiver, 1)
        [target] = demo.get("/api/deliveries/targets", headers=ADMIN).json()["items"]
        demo.post(f"/api/deliveries/targets/{target['id']}/suspend", headers=ADMIN)
    history = demo.get(f"/api/leads/{lead_id}/history", headers=ADMIN).text
    logged_in(demo)
    page = demo.get(f"/support/leads/{lead_id}").text
    shown = [
        delivery["url"], target["url"], detail(demo, delivery["id"])["attempt_log"][0]["url"],
        history, page, caplog.text,
    ]  # fmt: skip
    assert request.path == "/k3y-in-path/postback?st=new"  # sent as configured
    assert all("k3y-in-path" not in text for text in shown)
    assert "/***/postback" in delivery["url"] and "/***/postback" in caplog.text


def test_a_url_secret_that_is_not_in_the_url_is_refused(demo):
    toml = postbacks_toml("https://t.example/abc/postback", url_secret="xyz")
    response = demo.post("/api/admin/catalog", content=toml, headers=ADMIN)
    assert response.status_code == 422
    assert "$.webmasters[0].postbacks[0].url_secret" in response.text
