"""An account's pending, hold and approved balances over time, drawn as inline SVG on the server.

No script and no CDN: the page stays readable offline and in any browser, and the drawing is
plain text a test can read. Each bucket is a step line (a balance keeps its value until the next
entry moves it); colours come from support.css (`.series-pending`, `.series-hold`,
`.series-approved`), so the chart matches the status badges. Amounts stay Decimal; only the
pixel position of a point is a float.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from html import escape

from markupsafe import Markup

from domain.ledger import Bucket
from projections.commission_ledger.reads import UNITS

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 78, 16, 14, 30
_TIME_FORMATS = {"second": "%H:%M:%S", "minute": "%m-%d %H:%M", "hour": "%m-%d %H:%M"}


@dataclass(frozen=True)
class Series:
    """One currency's balances: the interval starts, and each bucket's balance at each."""

    currency: str
    unit: str
    times: list[datetime]
    values: dict[str, list[Decimal]]  # bucket -> balance at the end of each interval

    @property
    def end(self) -> datetime:
        """The end of the last interval: where the chart's time axis stops."""
        return self.times[-1] + timedelta(seconds=dict(UNITS).get(self.unit, 86400))


def series_per_currency(unit: str, rows: list[dict]) -> list[Series]:
    """Rows of `reads.balance_series` as one Series per currency, balances carried forward."""
    found: list[Series] = []
    for currency in sorted({row["currency"] for row in rows}):
        mine = [row for row in rows if row["currency"] == currency]
        times = sorted({row["at"] for row in mine})
        moved = {(row["at"], row["bucket"]): row["amount"] for row in mine}
        values: dict[str, list[Decimal]] = {}
        for bucket in Bucket:
            balance, line = Decimal(0), []
            for at in times:
                balance = moved.get((at, bucket.value), balance)
                line.append(balance)
            values[bucket.value] = line
        found.append(Series(currency, unit, times, values))
    return found


def balance_chart(series: Series) -> Markup:
    low, high = _range(series)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    first = series.times[0]
    span = (series.end - first).total_seconds()

    def x(at: datetime) -> float:
        return LEFT + plot_w * (at - first).total_seconds() / span

    def y(value: Decimal) -> float:
        return TOP + plot_h * float((high - value) / (high - low))

    parts = [_axes(low, high, y), _time_labels(series)]
    for bucket, line in series.values.items():
        points = _steps([x(at) for at in series.times], [y(value) for value in line])
        parts.append(f'<polyline class="series series-{bucket}" points="{points}"/>')
    label = escape(f"Balances in {series.currency} over time: pending, hold, approved")
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{label}" '
        f'data-currency="{escape(series.currency)}"><title>{label}</title>{"".join(parts)}</svg>'
    )


def _range(series: Series) -> tuple[Decimal, Decimal]:
    every = [value for line in series.values.values() for value in line]
    low, high = min([Decimal(0), *every]), max([Decimal(0), *every])
    return (low, high) if high > low else (low, low + 1)


def _steps(xs: list[float], ys: list[float]) -> str:
    """A step line: each balance held until the next interval, the last to the axis' end."""
    points = [(xs[0], ys[0])]
    for index in range(1, len(xs)):
        points += [(xs[index], ys[index - 1]), (xs[index], ys[index])]
    points.append((WIDTH - RIGHT, ys[-1]))
    return " ".join(f"{px:.1f},{py:.1f}" for px, py in points)


def _axes(low: Decimal, high: Decimal, y) -> str:
    ticks = sorted({low, Decimal(0), high})
    lines = [
        f'<line class="grid-line{" zero" if tick == 0 else ""}" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
        f'y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>'
        f'<text class="tick" x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick}</text>'
        for tick in ticks
    ]
    return "".join(lines)


def _time_labels(series: Series) -> str:
    shown = _TIME_FORMATS.get(series.unit, "%Y-%m-%d")
    base = HEIGHT - BOTTOM + 18
    return (
        f'<text class="tick" x="{LEFT}" y="{base}">{series.times[0]:{shown}}</text>'
        f'<text class="tick" x="{WIDTH - RIGHT}" y="{base}" text-anchor="end">'
        f"{series.end:{shown}} UTC</text>"
    )
