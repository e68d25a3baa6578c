"""Turning the bytes of a postback request into parameters, strictly and without losing any.

Parameters come from the query string, a form body or a JSON body. We parse the raw bytes
ourselves so that every malformed request still yields a record of what was sent (undecodable
bytes shown escaped, huge values cut with their length noted) alongside its error code.
"""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import unquote_to_bytes

import msgspec

from domain.catalog_view import mask_token
from domain.errors import MalformedPostback
from domain.identity import SEPARATOR

MAX_VALUE_LENGTH = 2048
MAX_PARAMETERS = 100
RECORDED_VALUE_LENGTH = 1024
_json_decoder = msgspec.json.Decoder(float_hook=Decimal)
# A token's value in text we could not parse into parameters (a broken JSON body, a nested JSON
# value): `"token": "7-key"`, `token=7-key`, `["token", "7-key"]`. Masked before it is recorded.
_TOKEN_IN_TEXT = re.compile(r"""(token["']?\s*[:=,]\s*["']?)([^"'&,;}\]\s]*)""", re.IGNORECASE)


class ParsedParameters(msgspec.Struct, frozen=True):
    """`values` for the rules (one value a name); `recorded` keeps everything for the log."""

    values: dict[str, str]
    recorded: dict[str, list[str]]
    error: MalformedPostback | None = None


def parse_parameters(query: bytes, body: bytes, content_type: str) -> ParsedParameters:
    pairs: list[tuple[str, str]] = []
    problems: list[MalformedPostback] = []
    pairs += _form_pairs(query, problems)
    not_a_form = ""
    if body.strip():
        if "json" in content_type.lower():
            pairs += _json_pairs(body, problems)
        else:
            pairs += _form_pairs(body, problems)
            if "x-www-form-urlencoded" not in content_type.lower():
                not_a_form = content_type.split(";")[0].strip() or "no Content-Type"
    values, recorded = _merge(pairs, problems, not_a_form)
    return ParsedParameters(values, recorded, problems[0] if problems else None)


def _form_pairs(data: bytes, problems: list[MalformedPostback]) -> list[tuple[str, str]]:
    pairs = []
    for field in data.split(b"&"):
        if not field:
            continue
        name, _, value = field.partition(b"=")
        pairs.append((_text(name, problems), _text(value, problems)))
    return pairs


def _text(raw: bytes, problems: list[MalformedPostback]) -> str:
    data = unquote_to_bytes(raw.replace(b"+", b" "))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(MalformedPostback("parameters must be UTF-8 text", code="invalid_encoding"))
        text = data.decode("utf-8", errors="backslashreplace")
    return _storable(text, problems)


def _storable(text: str, problems: list[MalformedPostback]) -> str:
    """Text PostgreSQL can store: a NUL character (valid UTF-8, but refused by PostgreSQL's text
    and jsonb) is refused like bad UTF-8 and recorded escaped, so it cannot stall a projection.

    The separator of lead keys (`domain.identity.SEPARATOR`, U+001F) is refused too: inside a
    click or exto it could make one lead's key derive another lead's id.
    """
    if SEPARATOR in text:
        problems.append(
            MalformedPostback(
                "parameters must not contain the unit separator character (U+001F)",
                code="reserved_character",
            )
        )
    if "\x00" not in text:
        return text
    problems.append(
        MalformedPostback("parameters must not contain NUL characters", code="invalid_encoding")
    )
    return text.replace("\x00", "\\x00")


def _recorded_body(body: bytes) -> list[tuple[str, str]]:
    """An unreadable body, kept for support: cut, escaped, any token in it masked."""
    text = body[:RECORDED_VALUE_LENGTH].decode("utf-8", "backslashreplace")
    return [("_body", _mask_tokens_in(text.replace("\x00", "\\x00")))]


def _mask_tokens_in(text: str) -> str:
    return _TOKEN_IN_TEXT.sub(lambda found: found[1] + mask_token(found[2]), text)


def _json_pairs(body: bytes, problems: list[MalformedPostback]) -> list[tuple[str, str]]:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(MalformedPostback("the body must be UTF-8 text", code="invalid_encoding"))
        return _recorded_body(body)
    try:
        document = _json_decoder.decode(body)
    except msgspec.DecodeError:
        problems.append(MalformedPostback("the body is not valid JSON", code="malformed_json"))
        return _recorded_body(body)
    if not isinstance(document, dict):
        problems.append(MalformedPostback("the JSON body must be an object", code="malformed_json"))
        return _recorded_body(body)
    pairs = []
    for name, value in document.items():
        if isinstance(value, dict | list):
            problems.append(
                MalformedPostback(
                    f"JSON field {name[:40]!r} must be a scalar", code="malformed_json"
                )
            )
            value = _mask_tokens_in(msgspec.json.encode(value).decode())
        pairs.append((_storable(name, problems), _storable(_json_scalar(value), problems)))
    return pairs


def _json_scalar(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _merge(
    pairs: list[tuple[str, str]], problems: list[MalformedPostback], not_a_form: str = ""
) -> tuple[dict[str, str], dict[str, list[str]]]:
    values: dict[str, str] = {}
    recorded: dict[str, list[str]] = {}
    for name, value in pairs:
        recorded.setdefault(name[:RECORDED_VALUE_LENGTH], []).append(_for_record(name, value))
        if len(value) > MAX_VALUE_LENGTH or len(name) > MAX_VALUE_LENGTH:
            problems.append(_too_long(name, value, not_a_form))
        if name in values and values[name] != value:
            problems.append(
                MalformedPostback(
                    f"parameter {name[:40]!r} is given twice with different values",
                    code="repeated_parameter",
                )
            )
        values.setdefault(name, value)
    if len(recorded) > MAX_PARAMETERS:
        problems.append(
            MalformedPostback(
                f"{len(recorded)} parameters; the limit is {MAX_PARAMETERS}",
                code="too_many_parameters",
            )
        )
    return values, recorded


def _too_long(name: str, value: str, not_a_form: str) -> MalformedPostback:
    """Names what is too long: a value, or a name (a body that is no form reads as one name)."""
    if len(name) > MAX_VALUE_LENGTH:
        message = (
            f"a parameter name is {len(name)} characters long (it starts {name[:40]!r}); "
            f"the limit is {MAX_VALUE_LENGTH}"
        )
        if not_a_form:
            message += (
                f". The body is sent as {not_a_form}, not as a form: send a form "
                "(application/x-www-form-urlencoded) or a JSON object (application/json)"
            )
    else:
        message = (
            f"parameter {name[:40]!r} is {len(value)} characters long; "
            f"the limit is {MAX_VALUE_LENGTH}"
        )
    return MalformedPostback(message, code="parameter_too_long")


def _for_record(name: str, value: str) -> str:
    if name == "token":
        return mask_token(value)
    if len(value) > RECORDED_VALUE_LENGTH:
        return f"{value[:RECORDED_VALUE_LENGTH]}…[cut: {len(value)} characters in all]"
    return value
