"""Accounts and roles: add a user, grant and revoke a role, retire a user; all audited.

A user is never deleted: retiring clears ``active``, revoking a grant clears its
``active``; both are updates with a reason in the audit trail. Investigators and study
nurses hold their role at one site; every other role holds at all sites.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, RowMapping, select

from mmntrial.capture import audit
from mmntrial.capture.passwords import hash_password
from mmntrial.capture.permissions import SITE_ROLES, Role
from mmntrial.capture.tables import role_grants, sites, users
from mmntrial.errors import CaptureError
from mmntrial.identifiers import checked_identifier


@dataclass(frozen=True)
class Grant:
    """An active role of a user: at one site (``site`` its code) or at all (``None``)."""

    id: int
    role: Role
    site: str | None


def checked_role(value: str) -> Role:
    """``value`` as a :class:`Role`, or a :class:`CaptureError` naming ``role``."""
    try:
        return Role(value)
    except ValueError:
        raise CaptureError(
            f"role: got {value!r}, expected one of {', '.join(r.value for r in Role)}"
        ) from None


def find_user(conn: Connection, username: str) -> RowMapping | None:
    """The row of ``username`` (active or retired), or ``None``."""
    return conn.execute(select(users).where(users.c.username == username)).mappings().first()


def _existing_user(conn: Connection, username: str) -> RowMapping:
    row = find_user(conn, username)
    if row is None:
        raise CaptureError(f"user: got {username!r}, expected an existing user name")
    return row


def site_id(conn: Connection, code: str, field: str = "site") -> int:
    """The id of the site ``code``; a :class:`CaptureError` naming ``field`` otherwise."""
    found = conn.execute(select(sites.c.id).where(sites.c.code == code)).scalar()
    if found is None:
        known = conn.execute(select(sites.c.code).order_by(sites.c.code)).scalars().all()
        raise CaptureError(
            f"{field}: got {code!r}, expected a site of the study ({', '.join(known)})"
        )
    return int(found)


def add_user(conn: Connection, username: str, password: str, who: str) -> int:
    """Create an active account; refuses a taken or malformed name, a weak password."""
    name = checked_identifier("user", username, CaptureError)
    if find_user(conn, name) is not None:
        raise CaptureError(f"user: got {name!r}, expected a user name not taken yet")
    values = {"username": name, "password_hash": hash_password(password), "active": True}
    return audit.insert(conn, users, values, who)


def grant(conn: Connection, username: str, role: str, site: str | None, who: str) -> int:
    """Give ``username`` the ``role`` (at ``site`` for site roles, else at all sites)."""
    user = _existing_user(conn, username)
    if not user["active"]:
        raise CaptureError(f"user: got {username!r}, a retired account; expected an active one")
    chosen = checked_role(role)
    if chosen in SITE_ROLES and not site:
        raise CaptureError(
            f"site: got none for role {chosen.value}, expected the site code where the role "
            "holds (investigators and study nurses work at one site)"
        )
    if chosen not in SITE_ROLES and site:
        raise CaptureError(
            f"site: got {site!r} for role {chosen.value}, expected none (this role holds "
            "at every site)"
        )
    where = site_id(conn, site) if site else None
    if any(g.role == chosen and g.site == site for g in grants_of(conn, int(user["id"]))):
        raise CaptureError(
            f"role: got {chosen.value!r}{f' at {site!r}' if site else ''} for {username!r}, "
            "who holds it already; expected a role not yet granted"
        )
    values = {"user_id": user["id"], "role": chosen.value, "site_id": where, "active": True}
    return audit.insert(conn, role_grants, values, who)


def revoke(
    conn: Connection, username: str, role: str, site: str | None, who: str, reason: str | None
) -> None:
    """End a role of ``username`` (the grant is kept, inactive, in the trail)."""
    user = _existing_user(conn, username)
    chosen = checked_role(role)
    for held in grants_of(conn, int(user["id"])):
        if held.role == chosen and held.site == (site or None):
            audit.update(conn, role_grants, held.id, {"active": False}, who, reason)
            return
    raise CaptureError(
        f"role: got {chosen.value!r}{f' at {site!r}' if site else ''} for {username!r}, "
        "expected a role the user holds"
    )


def retire(conn: Connection, username: str, who: str, reason: str | None) -> None:
    """Retire an account: it can no longer sign in; its records and trail stay."""
    user = _existing_user(conn, username)
    if not user["active"]:
        raise CaptureError(f"user: got {username!r}, retired already; expected an active user")
    audit.update(conn, users, int(user["id"]), {"active": False}, who, reason)


def grants_of(conn: Connection, user_id: int) -> list[Grant]:
    """The active roles of a user, with the site code of each site role."""
    rows = conn.execute(
        select(role_grants.c.id, role_grants.c.role, sites.c.code)
        .select_from(role_grants.outerjoin(sites, role_grants.c.site_id == sites.c.id))
        .where(role_grants.c.user_id == user_id, role_grants.c.active.is_(True))
        .order_by(role_grants.c.id)
    )
    return [Grant(int(r.id), Role(r.role), r.code) for r in rows]


def all_users(conn: Connection) -> list[dict[str, object]]:
    """Every account with its active roles, for the admin page."""
    rows = conn.execute(
        select(users.c.id, users.c.username, users.c.active).order_by(users.c.username)
    )
    return [
        {"username": r.username, "active": r.active, "grants": grants_of(conn, int(r.id))}
        for r in rows.all()
    ]
