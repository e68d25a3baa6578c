"""Re-submitting a stored rejected postback, once the catalog has been fixed.

The stored postback keeps every parameter as received except the token's secret, which was
masked before it was stored, so a resubmission cannot prove the token again. The admin who
re-submits vouches for it instead, within limits the catalog still checks:

- a site token (stored as `7-***`) counts as that site's token only if site 7 now exists, and
  the usual rule then applies: the site must belong to the offer of the lead it names;
- a masked global token counts as a global token;
- a postback that carried no token, or was malformed as sent, cannot be re-submitted: no
  catalog change can fix it.

The new postback is decided by the same rules and saved like any other, with `resubmit_of`
naming the original, so the log and the lead's history show both and how they relate.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from uuid import UUID

from app.eventstore.application import LedgerApplication
from app.postbacks.catalog_cache import CatalogCache
from app.postbacks.processing import PostbackProcessor, PostbackRequest, PostbackResult
from domain.catalog_view import CatalogView, TokenGrant, parse_numeric_id
from domain.postback import Outcome, Postback

# Rejections that a catalog change (or a later creation postback) can turn into acceptance.
RESUBMITTABLE = frozenset(
    {
        "invalid_token",
        "token_not_for_offer",
        "unknown_flow",
        "unknown_offer",
        "unknown_goal",
        "unknown_click",
        "lead_not_found",
    }
)


class NotResubmittable(Exception):
    """The stored postback cannot be re-submitted; `code` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def vouched(view: CatalogView) -> CatalogView:
    """The same catalog, but authorising masked tokens as the resubmitting admin vouches."""

    class Vouched:
        def __getattr__(self, name: str):
            return getattr(view, name)

        def authorise(self, token: str) -> TokenGrant | None:
            site, dash, secret = token.partition("-")
            site_id = parse_numeric_id(site)
            if dash and site_id is not None and secret == "***":
                found = view.sites.get(site_id)
                if found is None:
                    return None
                return TokenGrant("site", found.id, found.offer, retired=not found.active)
            return TokenGrant("global") if token.endswith("***") else view.authorise(token)

    return Vouched()  # type: ignore[return-value]


class VouchedCatalogCache:
    """A CatalogCache look-alike handing out vouched views, for the processor's decisions."""

    def __init__(self, catalog: CatalogCache) -> None:
        self._catalog = catalog

    def current(self) -> CatalogView:
        return vouched(self._catalog.current())

    def refresh(self, min_interval: float = 0.0) -> CatalogView:
        return vouched(self._catalog.refresh(min_interval))


RESUBMITTED_BY = "resubmit-by-"  # a re-submission's request id: this, the name, -, 12 hex digits


def resubmitter(request_id: str) -> str | None:
    """The name of who re-submitted, from the request id their re-submission was given."""
    if not request_id.startswith(RESUBMITTED_BY) or len(request_id) <= len(RESUBMITTED_BY) + 13:
        return None
    return request_id[len(RESUBMITTED_BY) : -13]


def resubmission_of(original: Postback, admin: str, source_ip: str) -> PostbackRequest:
    """The request to decide again; raises NotResubmittable when it cannot be."""
    if original.outcome != Outcome.REJECTED:
        raise NotResubmittable("not_rejected", f"postback {original.id} was {original.outcome}")
    if original.error not in RESUBMITTABLE:
        raise NotResubmittable(
            "not_resubmittable",
            f"postback {original.id} was rejected for {original.error}, "
            "which no catalog change can fix",
        )
    params = {name: values[0] for name, values in original.params.items() if values}
    return PostbackRequest(
        endpoint=original.endpoint,
        method=original.method,
        params=params,
        raw_params=original.params,
        source_ip=source_ip,
        request_id=f"{RESUBMITTED_BY}{admin}-{uuid.uuid4().hex[:12]}",
        received_at=datetime.now(UTC),
        resubmit_of=original.id,
    )


def resubmit(
    app: LedgerApplication, catalog: CatalogCache, postback_id: UUID, admin: str, source_ip: str
) -> PostbackResult:
    original = app.get_or_none(postback_id)
    if not isinstance(original, Postback):
        raise NotResubmittable("postback_not_found", f"no stored postback {postback_id}")
    request = resubmission_of(original, admin, source_ip)
    processor = PostbackProcessor(app, VouchedCatalogCache(catalog))  # type: ignore[arg-type]
    return processor.process([request])[0]
