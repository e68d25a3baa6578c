"""Structured logs: one JSON object a line, carrying the id of the request being served.

`configure_logging` is called once by the command line (plain text lines instead when stderr is a
terminal, for the person reading it); every record logged while a request is
served gets that request's id (`app.ops.observability` sets it), so one grep finds everything a
postback did, and the same id is stored with the postback.
"""

from __future__ import annotations

import contextvars
import logging
import os
import sys
from datetime import UTC, datetime

import msgspec

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


# msgspec writes a line several times faster than json.dumps; anything it cannot encode is str()-ed.
_ENCODER = msgspec.json.Encoder(enc_hook=str)


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id", ...extra fields}` per record."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id:
            line["request_id"] = request_id
        line.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return _ENCODER.encode(line).decode()


def configure_logging(level: str | None = None, style: str | None = None) -> None:
    """Log to stderr at `LEDGER_LOG_LEVEL`, as `LEDGER_LOG_FORMAT` says (`json` or `text`).

    Unset, a terminal gets short text lines for a person and anything else (a file, a log
    collector, a pipe) JSON lines for a machine.
    """
    handler = _Stderr()
    if (style or log_style()) == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level or os.environ.get("LEDGER_LOG_LEVEL", "INFO"))


class _Stderr(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a record comes: a test that captured stderr and
    closed it again must not leave background threads writing into a closed file."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(message)s"


class TextFormatter(logging.Formatter):
    """Readable lines whose time is ISO 8601 in UTC, as in the JSON lines and the API."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


# Granian's own loggers: through the root handler above, so its lines share our one format
# (they went to stdout as "[INFO] ...", between our JSON lines on stderr).
GRANIAN_LOGGING = {
    "loggers": {
        "_granian": {"handlers": [], "propagate": True},
        "granian.access": {"handlers": [], "propagate": True},
    }
}


def log_style() -> str:
    configured = os.environ.get("LEDGER_LOG_FORMAT", "").strip().lower()
    if configured in ("json", "text"):
        return configured
    return "text" if sys.stderr.isatty() else "json"
