"""The roles, lowest first: each may do what the roles below it may.

- support: reads everything, re-submits a refused postback;
- operator: also catalogs, recalculations and rebuilds, statements, deliveries resend/resume;
- finance: also periods, payouts and invoices;
- owner: the shared admin tokens (`LEDGER_ADMIN_TOKEN(S)`): everything, and manages staff.

A route says which role it needs in Litestar's `opt` (`opt={"role": "operator"}`); a route that
says nothing needs the owner, so a forgotten declaration fails closed.
"""

from __future__ import annotations

ROLES = ("support", "operator", "finance", "owner")
STAFF_ROLES = ROLES[:-1]  # the owner is an admin token, never a staff member
OWNER = "owner"


def may(role: str, needed: str) -> bool:
    """Whether `role` reaches `needed` (an unknown role reaches nothing)."""
    if role not in ROLES or needed not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(needed)


def needed_role(opt: dict) -> str:
    """The role a route declared, or the owner's when it declared none (or an unknown one)."""
    role = opt.get("role", OWNER)
    return role if role in ROLES else OWNER


def declared_role(opt: dict) -> str | None:
    """The role a route declared, None if it declared none (or one that is not a role)."""
    role = opt.get("role")
    return role if role in ROLES else None
