"""The rate-change preview and the rebuild count the same things: repriced leads and relabelled
leads (same amounts, another rule version), each on its own.

The preview said 16 leads would be repriced and the rebuild then reported 52 leads changed: 36
of them kept their amounts and only showed the new rule version.
"""

from __future__ import annotations

from projections.rebuild.rebuilder import Rebuild
from tests.checks import accepted
from tests.controls import ADMIN, create
from tests.ledger.test_catalog_maintenance import with_new_reg_rate


def test_preview_and_rebuild_report_repriced_and_relabelled_leads_separately(demo, services):
    repriced = accepted(create(demo, flow="101", exto="priced-by-the-rate"))["id"]
    # Both amounts given by the advertiser: a new rate changes only the rule version it shows.
    relabelled = accepted(
        create(demo, flow="101", exto="priced-by-the-postback", pay="20", cc="USD", wm="11.50")
    )["id"]
    services.runner.catch_up()

    applied = demo.post(
        "/api/admin/catalog", content=with_new_reg_rate("2020-01-01T00:00:00Z"), headers=ADMIN
    ).json()
    rebuilt = Rebuild(services.ledger, services.address, "all", "test", False).run()

    assert (applied["leads_to_reprice"], applied["leads_to_relabel"]) == (1, 1)
    assert (rebuilt.leads_repriced, rebuilt.leads_relabelled) == ([repriced], [relabelled])
