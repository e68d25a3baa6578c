"""Re-submitting a stored rejected postback after the catalog was fixed."""

from __future__ import annotations

from tests.controls import ADMIN, DEMO_CATALOG, OTHER_OFFER_TOKEN, create, new_click, postbacks

NEW_SITE_TOKEN = "9-n3w-key"
CATALOG_WITH_SITE_9 = DEMO_CATALOG.replace(
    b'key = "s3cr3t"\n', b'key = "s3cr3t"\n\n  [[offers.sites]]\n  id = 9\n  key = "n3w-key"\n', 1
)


def rejected_postback(client, services, **filters) -> dict:
    services.runner.catch_up()
    [found] = postbacks(client, outcome="rejected", **filters)
    return found


def resubmit(client, postback_id: str):
    return client.post(f"/api/postbacks/{postback_id}/resubmit", headers=ADMIN)


def add_site_9(client) -> None:
    response = client.post("/api/admin/catalog", content=CATALOG_WITH_SITE_9, headers=ADMIN)
    assert response.status_code == 200, response.text


def test_a_creation_refused_for_an_unknown_site_is_accepted_once_the_site_is_added(demo, services):
    click = new_click(demo)
    assert create(demo, click=click, token=NEW_SITE_TOKEN).status_code == 401
    original = rejected_postback(demo, services, error="invalid_token")
    add_site_9(demo)

    response = resubmit(demo, original["id"])

    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "created"
    services.runner.catch_up()
    [linked] = postbacks(demo, resubmit_of=original["id"])
    assert linked["outcome"] == "created"
    assert linked["params"]["token"] == ["9-***"]
    assert linked["request_id"].startswith("resubmit-by-support-")


def test_a_resubmitted_site_token_must_still_belong_to_the_leads_offer(demo, services):
    click = new_click(demo)
    create(demo, click=click, token=OTHER_OFFER_TOKEN)
    original = rejected_postback(demo, services, error="token_not_for_offer")

    response = resubmit(demo, original["id"])

    assert response.status_code == 200
    assert response.json()["outcome"] == "rejected"
    assert response.json()["error"] == "token_not_for_offer"


def test_an_accepted_postback_cannot_be_resubmitted(demo, services):
    create(demo, click=new_click(demo))
    services.runner.catch_up()
    [accepted] = postbacks(demo, outcome="created")

    assert resubmit(demo, accepted["id"]).status_code == 409


def test_a_postback_resubmitted_successfully_cannot_be_resubmitted_again(demo, services):
    create(demo, click=new_click(demo), token=NEW_SITE_TOKEN)
    original = rejected_postback(demo, services, error="invalid_token")
    add_site_9(demo)
    assert resubmit(demo, original["id"]).json()["outcome"] == "created"

    assert resubmit(demo, original["id"]).status_code == 409


def test_a_postback_without_a_token_cannot_be_resubmitted(demo, services):
    create(demo, click=new_click(demo), token="")
    original = rejected_postback(demo, services, error="missing_token")

    assert resubmit(demo, original["id"]).status_code == 409


def test_resubmitting_an_unknown_postback_is_not_found(demo):
    assert resubmit(demo, "00000000-0000-0000-0000-000000000000").status_code == 404
