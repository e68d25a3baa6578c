"""GET /api/deliveries/targets pages as the delivery log does: URLs in id order, `limit` a page,
`next` passed back as `cursor` until it is null; a cursor that is not an id is a 400.

The URLs are written straight into the deliveries' own table (the notifier records a URL there
when it first queues a delivery to it), more of them than one page holds."""

from __future__ import annotations

from uuid import uuid4

from projections.deliveries import schema
from tests.controls import ADMIN

TARGETS = 7


def _with_targets(services) -> list[str]:
    ids = sorted(uuid4() for _ in range(TARGETS))
    with services.ledger.recorder.datastore.transaction(commit=True) as cursor:
        schema.create_tables(cursor)
        for number, target in enumerate(ids):
            cursor.execute(
                "INSERT INTO delivery_targets (id, url) VALUES (%s, %s)",
                (target, f"https://t{TARGETS - number}.example/pb"),  # URL order is not id order
            )
    return [str(target) for target in ids]


def _page(client, **params):
    response = client.get("/api/deliveries/targets", params=params, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def test_paging_the_targets_lists_every_url_once_in_id_order(demo, services):
    ids = _with_targets(services)

    pages = [_page(demo, limit=3)]
    while pages[-1]["next"] is not None:
        pages.append(_page(demo, limit=3, cursor=pages[-1]["next"]))

    assert [item["id"] for page in pages for item in page["items"]] == ids
    assert [len(page["items"]) for page in pages] == [3, 3, 1]
    assert {item["waiting"] for page in pages for item in page["items"]} == {0}


def test_the_last_page_of_targets_has_a_null_next(demo, services):
    ids = _with_targets(services)

    whole = _page(demo, limit=TARGETS)

    assert [item["id"] for item in whole["items"]] == ids
    assert whole["next"] is None


def test_a_targets_cursor_or_limit_out_of_its_schema_is_refused_in_the_error_shape(demo):
    for params in ({"cursor": "not-an-id"}, {"limit": 0}, {"limit": 501}):
        response = demo.get("/api/deliveries/targets", params=params, headers=ADMIN)
        assert response.status_code == 400, (params, response.text)
        assert response.json()["status"] == "error"
        assert response.json()["error"] == "invalid_parameter"
