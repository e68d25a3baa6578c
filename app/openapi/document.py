"""Finishing touches on the OpenAPI document Litestar generates, applied once at start-up.

Litestar writes the paths from the handlers; what it cannot know is added here, in one place:
- the `ErrorBody` schema names every error code (`app.openapi.errors.ERROR_CODES`) and its
  constant `status`, so a generated client gets an enum to branch on;
- admin routes (guarded by `require_admin`) require the `adminToken` scheme, so the docs page's
  "Authorize" button works, with the role each needs as the requirement's role name (and a 403
  `forbidden` for the roles below it);
- free text in a query parameter says it holds no NUL character (PostgreSQL text cannot store
  one, so such a value is answered 400), and a date-time query parameter says it also takes a
  number of Unix seconds (as msgspec reads it);
- links between operations (create → read), which clients and schemathesis' stateful tests
  follow;
- each component schema titled by its unique key, so that generated clients do not clash.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.openapi.spec import (
    Components,
    Example,
    Link,
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Reference,
    Schema,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType

from app.auth import require_admin
from app.openapi.errors import ERROR_CODES
from app.staff.roles import OWNER, ROLES, declared_role

NO_NUL = r"^[^\x00]*$"
# What msgspec accepts for a datetime besides RFC 3339: seconds since 1970, years 1 to 9999.
UNIX_SECONDS = Schema(
    type=OpenAPIType.NUMBER,
    minimum=-62_135_596_800,
    maximum=253_402_300_799,
    description="Unix seconds",
)
SECURITY_SCHEMES = {
    "adminToken": SecurityScheme(
        type="http",
        scheme="bearer",
        description="The admin token (`LEDGER_ADMIN_TOKEN`, the owner) or a personal token "
        "(`postback-ledger staff add`), sent as `Authorization: Bearer …`",
    ),
    "siteToken": SecurityScheme(
        type="apiKey",
        name="token",
        security_scheme_in="query",
        description="A site token `<siteId>-<siteKey>` of the lead's offer, or a global token; "
        "a POST may carry it in its form or JSON body instead",
    ),
}
# (path, method, status) -> {link name: (target path, target method, {parameter: expression})}
LINKS: dict[tuple[str, str, str], dict[str, tuple[str, str, dict[str, str]]]] = {}


def _lead_reads(expression: str) -> dict[str, tuple[str, str, dict[str, str]]]:
    parameters = {"lead_id": expression}
    return {
        "GetLead": ("/api/leads/{lead_id}", "get", parameters),
        "GetLeadCommission": ("/api/leads/{lead_id}/commission", "get", parameters),
        "GetLeadHistory": ("/api/leads/{lead_id}/history", "get", parameters),
    }


for _path in ("/api/site/click.json", "/api/site/status.json"):
    for _method in ("get", "post"):
        LINKS[(_path, _method, "200")] = _lead_reads("$response.body#/id")
LINKS[("/api/recalculations", "post", "200")] = {
    "GetRecalculation": (
        "/api/recalculations/{recalculation_id}", "get", {"recalculation_id": "$response.body#/id"}
    )
}  # fmt: skip
LINKS[("/api/recalculations", "get", "200")] = {
    "GetNewestRecalculation": (
        "/api/recalculations/{recalculation_id}",
        "get",
        {"recalculation_id": "$response.body#/items/0/id"},
    )
}
LINKS[("/api/postbacks", "get", "200")] = {
    "ResubmitNewestPostback": (
        "/api/postbacks/{postback_id}/resubmit",
        "post",
        {"postback_id": "$response.body#/items/0/id"},
    )
}
LINKS[("/api/ledger", "get", "200")] = _lead_reads("$response.body#/items/0/lead_id")


def finish_document(app: Litestar) -> OpenAPI:
    """Complete `app`'s OpenAPI document in place (once) and return it."""
    document = app.openapi_schema
    if getattr(document, "_finished", False):
        return document
    components = document.components or Components()
    document.components = components
    _name_error_codes(components)
    _unique_titles(components)
    _closed_bodies(components)
    admin_paths = _admin_operations(app)
    for path, item in (document.paths or {}).items():
        for method, operation in _operations(item):
            if (path, method) in admin_paths:
                _require_role(operation, admin_paths[(path, method)])
            _no_nul_in_query_text(operation)
            _add_links(document, path, method, operation)
    document._finished = True  # type: ignore[attr-defined]
    return document


def _operations(item) -> list[tuple[str, Operation]]:
    methods = ("get", "put", "post", "delete", "patch")
    return [(m, getattr(item, m)) for m in methods if getattr(item, m, None) is not None]


def _name_error_codes(components: Components) -> None:
    schema = (components.schemas or {}).get("ErrorBody")
    if not isinstance(schema, Schema) or not schema.properties:
        return
    schema.properties["error"] = Schema(
        type=OpenAPIType.STRING,
        enum=list(ERROR_CODES),
        description="A stable code: branch on it. Each endpoint lists the codes it answers.",
    )
    schema.properties["status"] = Schema(type=OpenAPIType.STRING, enum=["error"])
    schema.required = ["error", "message", "status"]


def _unique_titles(components: Components) -> None:
    """Litestar keys two structs of one name apart (`audit_wire_EntryOut`, `ledger_wire_EntryOut`)
    but leaves both titled `EntryOut`; client generators name models by title and clash."""
    for key, schema in (components.schemas or {}).items():
        if isinstance(schema, Schema) and schema.title and schema.title != key:
            schema.title = key


def _closed_bodies(components: Components) -> None:
    """A struct that refuses unknown fields says so (`additionalProperties: false`): otherwise a
    client is told a body with an extra key is valid, and then hears 400."""
    closed = {cls.__name__ for cls in _structs() if cls.__struct_config__.forbid_unknown_fields}
    for key, schema in (components.schemas or {}).items():
        name = key.rpartition("_")[2]
        if isinstance(schema, Schema) and name in closed and schema.type == OpenAPIType.OBJECT:
            schema.additional_properties = False


def _structs() -> list[type]:
    import msgspec

    found, waiting = [], [msgspec.Struct]
    while waiting:
        for sub in waiting.pop().__subclasses__():
            found.append(sub)
            waiting.append(sub)
    return found


def _admin_operations(app: Litestar) -> dict[tuple[str, str], str | None]:
    """{(path, method): the role it declares} of every operation guarded by `require_admin`;
    None where it declares none (it then needs the owner, and tests/staff/test_roles.py fails)."""
    found = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            # Litestar wraps each guard in an AsyncCallable that keeps it as `func`.
            if any(getattr(g, "func", g) is require_admin for g in handler.resolve_guards()):
                path = _documented_path(route.path)
                role = declared_role(handler.opt)
                found |= {(path, method.lower()): role for method in handler.http_methods}
    return found


def _require_role(operation: Operation, role: str | None) -> None:
    """The role goes in the security requirement (OpenAPI's place for role names) and the
    description; an operation above `support` also lists its 403 `forbidden`. An operation that
    declares no role has an empty requirement (and needs the owner)."""
    operation.security = [{"adminToken": [role] if role else []}]
    role = role or OWNER
    note = f"Needs the **{role}** role (or a higher one)."
    operation.description = f"{operation.description}\n\n{note}" if operation.description else note
    if role == ROLES[0] or "403" in (operation.responses or {}):
        return
    message = f"this needs the {role} role (or a higher one)"
    example = Example(summary="forbidden", value={"status": "error", "error": "forbidden",
                                                  "message": message})  # fmt: skip
    media = OpenAPIMediaType(schema=Reference(ref="#/components/schemas/ErrorBody"),
                             examples={"forbidden": example})  # fmt: skip
    operation.responses = {**(operation.responses or {}), "403": OpenAPIResponse(
        description=f"`forbidden`: {message}", content={"application/json": media})}  # fmt: skip


def _documented_path(path: str) -> str:
    import re

    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


def _no_nul_in_query_text(operation: Operation) -> None:
    for parameter in operation.parameters or []:
        if parameter.param_in != "query" or not isinstance(parameter.schema, Schema):
            continue
        choices = parameter.schema.one_of or [parameter.schema]
        for index, schema in enumerate(choices):
            if not isinstance(schema, Schema) or schema.type != OpenAPIType.STRING:
                continue
            if schema.format == OpenAPIFormat.DATE_TIME:
                choices[index] = Schema(any_of=[schema, UNIX_SECONDS])
            elif not (schema.format or schema.enum or schema.pattern):
                schema.pattern = NO_NUL
        if not parameter.schema.one_of:
            parameter.schema = choices[0]


def _add_links(document: OpenAPI, path: str, method: str, operation: Operation) -> None:
    for status, response in (operation.responses or {}).items():
        wanted = LINKS.get((path, method, status))
        if not wanted or not isinstance(response, OpenAPIResponse):
            continue
        response.links = {
            name: Link(operation_id=_operation_id(document, *target[:2]), parameters=target[2])
            for name, target in wanted.items()
        }


def _operation_id(document: OpenAPI, path: str, method: str) -> str:
    item = (document.paths or {})[path]
    return getattr(item, method).operation_id
