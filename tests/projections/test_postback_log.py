"""The postback log for support: every received postback, rejected and ignored ones with their
reasons, found by the filters support staff use."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.controls import ADMIN, change, create, new_click, postbacks


def test_the_log_finds_a_leads_postbacks_by_click_including_ignored_and_rejected(demo, services):
    click = new_click(demo)
    create(demo, click=click)
    change(demo, click=click, status="approve")
    change(demo, click=click, status="hold")  # ignored: approve is final
    change(demo, click=click, status="approve", token="7-wrong")  # rejected: bad token
    services.runner.catch_up()

    found = postbacks(demo, click=click)

    assert [(p["outcome"], p["error"]) for p in found] == [
        ("rejected", "invalid_token"),
        ("ignored", None),
        ("changed", None),
        ("created", None),
    ]
    assert found[0]["message"]


def test_the_log_filters_by_error_code_site_and_period(demo, services):
    create(demo, click=new_click(demo))
    start = datetime.now(UTC)
    create(demo, click=new_click(demo), goal="no-such-goal")
    services.runner.catch_up()

    assert [p["error"] for p in postbacks(demo, error="unknown_goal")] == ["unknown_goal"]
    assert len(postbacks(demo, site="7")) == 2
    assert [p["error"] for p in postbacks(demo, **{"from": start.isoformat()})] == ["unknown_goal"]


def test_the_log_pages_newest_first_with_a_cursor(demo, services):
    for _ in range(3):
        create(demo, click=new_click(demo))
    services.runner.catch_up()

    first = demo.get("/api/postbacks", params={"limit": 2}, headers=ADMIN).json()
    rest = demo.get(
        "/api/postbacks", params={"limit": 2, "before": first["next_cursor"]}, headers=ADMIN
    ).json()

    positions = [p["position"] for p in first["items"] + rest["items"]]
    assert positions == sorted(positions, reverse=True)
    assert len(positions) == 3
    assert rest["next_cursor"] is None


def test_a_filter_with_a_nul_character_is_a_bad_request_not_a_server_error(demo):
    for name in ("click", "exto", "site", "outcome", "error", "lead"):
        response = demo.get("/api/postbacks", params={name: "x\x00y"}, headers=ADMIN)

        assert response.status_code == 400, (name, response.text)
