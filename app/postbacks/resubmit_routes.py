"""`POST /api/postbacks/{id}/resubmit`: decide a stored rejected postback again (admin token)."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Request, post
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath

from app.auth import acting_person, require_admin
from app.openapi.errors import ADMIN_ROUTE, error_responses
from app.postbacks.resubmission import NotResubmittable, resubmit
from app.wire import ResubmissionOut
from projections.postback_log.search import has_live_resubmission
from projections.runner import wait_for_position


class ResubmitController(Controller):
    """Re-submission of rejected postbacks after the catalog was fixed."""

    path = "/api/postbacks"
    guards = [require_admin]
    opt = {"role": "support"}
    tags = ["audit"]

    @post(
        "/{postback_id:uuid}/resubmit",
        sync_to_thread=True,
        status_code=200,
        summary="Re-submit a stored rejected postback; the new one is linked to the original",
        description="The stored token is masked, so the admin vouches for it: a site token "
        "still needs its site in the catalog, belonging to the lead's offer. Malformed or "
        "token-less postbacks, and postbacks already re-submitted successfully, are refused (409).",
        responses=error_responses(*ADMIN_ROUTE, "not_found", "conflict"),
    )
    def resubmit(self, request: Request, postback_id: FromPath[UUID]) -> ResubmissionOut:
        services = request.app.state.services
        admin = acting_person(request)
        if already_accepted(services, postback_id):
            raise ClientException(
                f"postback {postback_id} was already re-submitted successfully", status_code=409
            )
        try:
            result = resubmit(
                services.ledger,
                services.catalog,
                postback_id,
                admin,
                request.client.host if request.client else "",
            )
        except NotResubmittable as refusal:
            if refusal.code == "postback_not_found":
                raise NotFoundException(refusal.message) from refusal
            raise ClientException(refusal.message, status_code=409) from refusal
        if result.position is not None:  # the log shows it before we answer: no double resubmit
            wait_for_position(
                services.ledger, "postback_log", result.position,
                services.settings.projection_wait_seconds,
            )  # fmt: skip
        return ResubmissionOut(
            original_id=str(postback_id),
            postback_id=str(result.postback_id),
            outcome=result.outcome,
            http_status=result.http_status,
            lead_id=str(result.lead_id) if result.lead_id else None,
            position=result.position,
            error=result.error,
            message=result.message,
        )


def already_accepted(services, postback_id: UUID) -> bool:
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        return has_live_resubmission(cursor, postback_id)
