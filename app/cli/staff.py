"""`postback-ledger staff add|list|revoke|rotate|erase`: people and their personal tokens.

A token is printed once, alone on the last line (so `| tail -1` hands it on), and stored only as
its digest (`app.staff.store`). Each change is written to the actions log with its author, the
operating-system user (`cli:<user>`), in the change's own transaction; `record_cli_action` does
the same for the other commands that change something (right after their change commits).
"""

from __future__ import annotations

import argparse

from app.cli.opening import database_errors, open_services
from app.cli.output import UsageError, add_json_option, print_json
from app.staff.roles import STAFF_ROLES


def register(commands) -> None:
    staff = commands.add_parser(
        "staff",
        help="people and their personal tokens (roles)",
        description="Staff members, their roles (support < operator < finance) and personal "
        "tokens. The shared admin token (LEDGER_ADMIN_TOKEN) is the owner's.",
    ).add_subparsers(title="staff commands")
    add = staff.add_parser(
        "add",
        help="add a member; prints their personal token once, on the last line",
        description="Add a staff member with a role and print their personal token once, alone "
        "on the last line. Only its digest is stored: if it is lost, `staff rotate` it.",
    )
    add.add_argument("name", metavar="NAME", help="the person's name, as records will show it")
    add.add_argument("--role", required=True, choices=STAFF_ROLES, help="what they may do")
    add.set_defaults(handler=add_member)
    listing = staff.add_parser("list", help="list the members", description="List the members.")
    add_json_option(listing)
    listing.set_defaults(handler=list_members)
    for name, text, handler in (
        ("revoke", "revoke a member's token (at once, in every worker)", revoke_member),
        ("rotate", "give a member a new token; the old one stops working", rotate_member),
        ("erase", "forget a member entirely (names on past records stay)", erase_member),
    ):
        command = staff.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        command.add_argument("name", metavar="NAME", help="the member's name")
        command.set_defaults(handler=handler)


def add_member(args: argparse.Namespace) -> int:
    from app.settings import Settings
    from app.staff import store

    reserved = {*Settings.from_env().admin_tokens, "admin"}
    token = _change(
        "staff add", args.name,
        lambda cursor, by: store.add(cursor, args.name, args.role, by, reserved),
    )  # fmt: skip
    print(f"added {args.name} ({args.role}); their personal token, shown this once:")
    print(token)
    return 0


def rotate_member(args: argparse.Namespace) -> int:
    from app.staff import store

    token = _change("staff rotate", args.name, lambda cursor, _: store.rotate(cursor, args.name))
    print(f"new token for {args.name} (the old one no longer works), shown this once:")
    print(token)
    return 0


def revoke_member(args: argparse.Namespace) -> int:
    from app.staff import store

    _change("staff revoke", args.name, lambda cursor, by: store.revoke(cursor, args.name, by))
    print(f"revoked the token of {args.name}")
    return 0


def erase_member(args: argparse.Namespace) -> int:
    from app.staff import store

    _change("staff erase", args.name, lambda cursor, _: store.erase(cursor, args.name))
    print(f"erased {args.name}")
    return 0


def list_members(args: argparse.Namespace) -> int:
    from app.staff import store

    services = open_services()
    try:
        with database_errors(), services.ledger.recorder.datastore.transaction() as cursor:
            found = store.members(cursor, None, 1_000_000)
    finally:
        services.ledger.close()
    if args.json:
        print_json([{**m.__dict__, "active": m.active} for m in found])
        return 0
    for m in found:
        state = "active" if m.active else f"revoked {m.revoked_at:%Y-%m-%d} by {m.revoked_by}"
        print(f"{m.name:<24} {m.role:<9} added {m.created_at:%Y-%m-%d} by {m.created_by}; {state}")
    if not found:
        print("no staff members (the admin token is the owner's)")
    return 0


def _change(action: str, name: str, change):
    """`change(cursor, author)` and its actions row in one transaction; a refusal exits 2."""
    from app.cli.rebuild import cli_actor
    from app.staff import actions, store

    services = open_services()
    try:
        with (
            database_errors(),
            services.ledger.recorder.datastore.transaction(commit=True) as cursor,
        ):
            result = change(cursor, cli_actor())
            actions.record(cursor, cli_actor(), "owner", "cli", action, {"staff": name})
    except store.StaffError as refusal:
        raise UsageError(refusal.message) from refusal
    finally:
        services.ledger.close()
    return result


def record_cli_action(ledger, action: str, touched: dict) -> None:
    """The actions row of a command's change, written right after the change committed. The
    command line is the owner's: whoever can run it reaches the database itself."""
    from app.cli.rebuild import cli_actor
    from app.staff import actions

    with database_errors(), ledger.recorder.datastore.transaction(commit=True) as cursor:
        actions.record(cursor, cli_actor(), "owner", "cli", action, touched)
