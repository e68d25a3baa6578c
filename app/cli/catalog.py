"""`postback-ledger catalog apply FILE`: add and change offers, goals, sites, flows and rates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from app.cli.opening import database_errors, open_services
from app.cli.output import UsageError, add_json_option, print_json


def register(commands) -> None:
    catalog = commands.add_parser(
        "catalog", help="maintain the catalog", description="Maintain the catalog."
    ).add_subparsers(title="catalog commands")
    apply = catalog.add_parser(
        "apply",
        help="apply a catalog TOML file",
        description="Apply a catalog TOML file: adds and changes, never deletes.",
    )
    apply.add_argument("file", type=Path, help="the catalog TOML file")
    add_json_option(apply)
    apply.set_defaults(handler=apply_file)


def apply_file(args) -> int:
    """Exit 0 when applied, 2 when the file cannot be read or is not a valid catalog."""
    from app.cli.rebuild import cli_actor, print_preview
    from app.cli.staff import record_cli_action
    from app.ledger.rate_change_warning import preview_after_apply
    from domain.catalog_document import CatalogError, parse_catalog

    try:
        document = parse_catalog(args.file.read_bytes())
    except OSError as error:
        raise UsageError(f"cannot read the catalog {args.file}: {error.strerror}") from error
    except CatalogError as error:
        raise UsageError(f"catalog not applied: {error}") from error
    services = open_services()
    try:
        with database_errors():
            changes = services.ledger.apply_catalog(document, datetime.now(UTC), cli_actor())
            preview = preview_after_apply(services, changes, cli_actor(), catch_up=True)
            record_cli_action(services.ledger, "catalog apply", {"file": str(args.file)})
    except CatalogError as error:
        raise UsageError(f"catalog not applied: {error}") from error
    finally:
        services.ledger.close()
    if getattr(args, "json", False):
        print_json(_changes_document(changes, preview))
        return 0
    _print_changes(changes)
    print_preview(preview)
    return 0


def _changes_document(changes, preview) -> dict:
    from app.cli.rebuild import recalculation_document

    return {
        "changes": list(changes.lines),
        "retroactive_rate_changes": [
            {
                "offer": change.offer,
                "goal": change.goal,
                "webmaster": change.webmaster,
                "effective_from": change.effective_from,
            }
            for change in changes.retroactive_rate_changes
        ],
        "rebuild_preview": None if preview is None else recalculation_document(preview),
    }


def _print_changes(changes) -> None:
    if not changes.lines:
        print("catalog unchanged")
    for line in changes.lines:
        print(f"  {line}")
    for change in changes.retroactive_rate_changes:
        print(
            f"REBUILD NEEDED: rate of {change.offer}/{change.goal}"
            + (f" for {change.webmaster}" if change.webmaster else "")
            + f" takes effect from {change.effective_from.isoformat()}, in the past;"
            " run `postback-ledger projections rebuild all --dry-run` to see which leads change"
        )
