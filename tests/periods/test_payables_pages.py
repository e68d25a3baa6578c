"""GET /api/payables pages as every list does: webmasters in account order, `limit` a page,
`next_cursor` passed back as `cursor` until it is null; a cursor it did not give out is a 400.

The balances are written straight into the ledger's table (the projection's own), so that a
page boundary falls between webmasters whose ids need the opaque cursor (a non-ASCII one)."""

from __future__ import annotations

from tests.controls import ADMIN

# wm-d paid out all it earned: nothing payable, nothing locked, left out of every page.
BALANCES = {"wm-a": -30, "wm-b": -10, "wm-c": 5, "wm-d": 0, "wm-e": -7, "wm-zü/1": -1, "wm-f": -2}
LISTED = sorted(w for w, amount in BALANCES.items() if amount)


def _with_balances(services) -> None:
    with services.ledger.recorder.datastore.transaction(commit=True) as cursor:
        for webmaster, amount in BALANCES.items():
            cursor.execute(
                "INSERT INTO ledger_balances VALUES (%s, 'approved', 'USD', %s)",
                (f"webmaster:{webmaster}", amount),
            )


def _page(client, **params):
    response = client.get("/api/payables", params={"currency": "USD", **params}, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def test_paging_the_payables_lists_every_webmaster_once_in_account_order(demo, services):
    _with_balances(services)

    pages = [_page(demo, limit=3)]
    while pages[-1]["next_cursor"] is not None:
        pages.append(_page(demo, limit=3, cursor=pages[-1]["next_cursor"]))

    listed = [item["webmaster"] for page in pages for item in page["items"]]
    assert listed == LISTED
    assert len(pages) == 3 and all(len(page["items"]) <= 3 for page in pages)
    assert [item["payable"] for page in pages for item in page["items"]][:2] == ["30.00", "10.00"]


def test_the_last_page_of_payables_has_a_null_cursor(demo, services):
    _with_balances(services)

    whole = _page(demo, limit=500)

    assert [item["webmaster"] for item in whole["items"]] == LISTED
    assert whole["next_cursor"] is None


def test_a_payables_cursor_it_did_not_give_out_is_refused_in_the_error_shape(demo):
    for cursor, code in (("bm90LWEtd2VibWFzdGVy", "bad_request"), ("no.t!", "invalid_parameter")):
        response = demo.get(
            "/api/payables", params={"currency": "USD", "cursor": cursor}, headers=ADMIN
        )
        assert response.status_code == 400, response.text
        assert response.json()["status"] == "error" and response.json()["error"] == code


def test_a_payables_limit_out_of_range_is_an_invalid_parameter(demo):
    for limit in (0, 501):
        response = demo.get(
            "/api/payables", params={"currency": "USD", "limit": limit}, headers=ADMIN
        )
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_parameter"
