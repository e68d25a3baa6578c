"""The exported ledger, payouts included, balances as a beancount file would: every transaction
(a posting) sums to zero per currency, and so does the whole ledger."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal

from tests.controls import ADMIN
from tests.ledger_controls import changed
from tests.periods.period_controls import closed, lead_approved, moment_after_now
from tests.periods.test_payouts import paid


def beancount_text(rows: list[dict]) -> str:
    """The entries as beancount transactions: one per posting, one leg per entry."""
    by_posting: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_posting[row["posting_id"]].append(row)
    lines = []
    for posting, entries in by_posting.items():
        day = entries[0]["recorded_at"][:10]
        lines.append(f'{day} * "{entries[0]["event_type"]}" "posting {posting}"')
        for entry in entries:
            account = ":".join(
                part.replace("-", "").capitalize()
                for part in ("Ledger", *entry["account"].split(":"), entry["bucket"])
            )
            lines.append(f"  {account}  {entry['amount']} {entry['currency']}")
        lines.append("")
    return "\n".join(lines)


def unbalanced(text: str) -> list[str]:
    """Transactions whose legs do not sum to zero in each currency (beancount's own rule)."""
    problems, sums, title = [], defaultdict(Decimal), None
    for line in [*text.splitlines(), ""]:
        if line and not line.startswith(" "):
            title, sums = line, defaultdict(Decimal)
        elif line.strip():
            _, amount, currency = line.split()
            sums[currency] += Decimal(amount)
        elif title is not None:
            problems += [f"{title}: {c} {s}" for c, s in sums.items() if s]
            title = None
    return problems


def test_the_exported_ledger_with_payouts_balances_in_beancount_form(demo, services):
    lead_approved(demo, "x-1")
    lead_approved(demo, "x-2")
    closed(demo, moment_after_now())
    paid(demo, reference="bank-1")
    changed(demo, exto="x-1", status="cancel")
    services.runner.catch_up()

    response = demo.get("/api/exports/ledger", params={"format": "csv"}, headers=ADMIN)

    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    text = beancount_text(rows)
    assert '"Payout"' in text and "Ledger:Network:Paid  -20.00 USD" in text
    assert unbalanced(text) == []
    total: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        total[row["currency"]] += Decimal(row["amount"])
    assert all(amount == 0 for amount in total.values())
