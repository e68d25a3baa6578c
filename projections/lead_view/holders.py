"""Which leads belong to a holder (an advertiser or a webmaster) in a period: the filter that
exports and dispute tools share, as conditions on the lead view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg import sql


@dataclass(frozen=True)
class ExportFilter:
    start: datetime | None = None
    end: datetime | None = None
    advertiser: str | None = None
    webmaster: str | None = None

    def holder(self, alias: str) -> tuple[list[sql.Composable], list]:
        """Conditions selecting the rows of this holder's leads (lead_view as `alias`)."""
        conditions, params = [], []
        for column, value in (("advertiser", self.advertiser), ("webmaster", self.webmaster)):
            if value:
                conditions.append(sql.SQL("{} = %s").format(sql.Identifier(alias, column)))
                params.append(value)
        return conditions, params


def where_clause(conditions: list[sql.Composable]) -> sql.Composable:
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("")


def period(column: sql.Identifier, where: ExportFilter) -> tuple[list[sql.Composable], list]:
    conditions, params = [], []
    if where.start is not None:
        conditions.append(sql.SQL("{} >= %s").format(column))
        params.append(where.start)
    if where.end is not None:
        conditions.append(sql.SQL("{} < %s").format(column))
        params.append(where.end)
    return conditions, params


def alive_lead_ids(where: ExportFilter) -> tuple[sql.Composable, list]:
    """The ids of the holder's leads alive during the period, oldest first."""
    conditions, params = where.holder("l")
    if where.end is not None:
        conditions.append(sql.SQL("l.created_at < %s"))
        params.append(where.end)
    if where.start is not None:
        conditions.append(sql.SQL("l.updated_at >= %s"))
        params.append(where.start)
    statement = sql.SQL("SELECT l.id FROM lead_view l{} ORDER BY l.created_at, l.id").format(
        where_clause(conditions)
    )
    return statement, params
