"""Why a postback is refused: one error code per reason, with the HTTP status a sender sees.

Codes are part of the wire contract: senders and support staff search the postback log by them.
"""

from __future__ import annotations


class Rejection(Exception):
    """A postback refused for a reason the sender can fix; nothing changes when it is raised."""

    http_status = 400
    code = "bad_request"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class MalformedPostback(Rejection):
    http_status = 400
    code = "malformed"


class MissingParameter(Rejection):
    http_status = 400
    code = "missing_parameter"


class TokenRefused(Rejection):
    http_status = 401
    code = "invalid_token"


class NotFound(Rejection):
    http_status = 404
    code = "not_found"


class AmbiguousLead(Rejection):
    http_status = 409
    code = "ambiguous_lead"


class Unprocessable(Rejection):
    http_status = 422
    code = "unprocessable"


class Gone(Rejection):
    """What the postback asks for is switched off in the catalog: a paused offer or flow, a
    retired goal. Leads already there keep settling; nothing new is taken."""

    http_status = 410
    code = "gone"
