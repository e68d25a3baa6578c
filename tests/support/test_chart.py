"""The account chart drawn on the server: balances carried forward, drawn as step lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from app.support.chart import HEIGHT, LEFT, RIGHT, WIDTH, balance_chart, series_per_currency

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def row(hours: int, bucket: str, amount: str, currency: str = "USD") -> dict:
    return {"at": T0 + timedelta(hours=hours), "bucket": bucket, "currency": currency,
            "amount": Decimal(amount)}  # fmt: skip


def polyline(svg: str, bucket: str) -> list[tuple[float, float]]:
    points = svg.split(f'class="series series-{bucket}" points="')[1].split('"')[0]
    return [tuple(float(n) for n in point.split(",")) for point in points.split()]


def test_a_bucket_keeps_its_balance_until_an_entry_moves_it():
    rows = [
        row(0, "pending", "10.00"), row(1, "hold", "10.00"), row(1, "pending", "0.00"),
        row(5, "approved", "10.00"), row(5, "hold", "0.00"), row(0, "pending", "3", "EUR"),
    ]  # fmt: skip

    eur, usd = series_per_currency("hour", rows)

    assert (eur.currency, usd.currency) == ("EUR", "USD")  # in alphabetical order
    assert usd.values["pending"] == [Decimal("10.00"), Decimal("0.00"), Decimal("0.00")]
    assert usd.values["hold"] == [Decimal(0), Decimal("10.00"), Decimal("0.00")]
    assert usd.values["approved"] == [Decimal(0), Decimal(0), Decimal("10.00")]


def test_the_chart_draws_steps_to_the_end_of_the_last_interval_with_the_top_at_the_highest():
    [usd] = series_per_currency("hour", [row(0, "approved", "5.00"), row(4, "approved", "20.00")])

    svg = str(balance_chart(usd))

    points = polyline(svg, "approved")
    fourth_hour = round(LEFT + (WIDTH - RIGHT - LEFT) * 4 / 5, 1)  # the axis ends after hour 4
    assert [x for x, _ in points] == [LEFT, fourth_hour, fourth_hour, WIDTH - RIGHT]
    assert points[0][1] == points[1][1] > points[2][1] == points[3][1]  # 5.00, then 20.00
    assert '<text class="tick"' in svg and ">20.00</text>" in svg
    assert f'viewBox="0 0 {WIDTH} {HEIGHT}"' in svg and "<script" not in svg


def test_a_single_interval_spans_the_whole_chart():
    [usd] = series_per_currency("second", [row(0, "pending", "1.00")])

    assert [x for x, _ in polyline(str(balance_chart(usd)), "pending")] == [LEFT, WIDTH - RIGHT]


def test_labels_are_escaped():
    [odd] = series_per_currency("day", [row(0, "pending", "1", currency="<b>")])

    assert "<b>" not in str(balance_chart(odd))
