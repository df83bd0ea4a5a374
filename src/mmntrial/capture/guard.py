"""The check every request passes: CSRF on unsafe methods, sign-in, the permission table.

:func:`guard` runs before every route (it is the app's one global dependency). It looks
the route up in :data:`mmntrial.capture.permissions.PERMISSIONS` by name and refuses a
route without an entry (403: a route nobody thought about is closed, not open). An
unsafe request (POST, PUT, PATCH, DELETE) must carry the session's CSRF token in the
form field ``csrf_token`` or the header ``X-CSRF-Token`` (403 otherwise). A route with
``{site}`` in its path is allowed only for the sites where the user holds a permitted
role; an unknown site is 404 for everyone, so a site's existence leaks nothing more
than the study's site list already does.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import HTTPException, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from mmntrial.capture.accounts import Grant, find_user, grants_of
from mmntrial.capture.permissions import PERMISSIONS, Role, may
from mmntrial.capture.tables import sites
from mmntrial.storage import Database

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class SignedIn:
    """The user behind a request and their active roles."""

    username: str
    grants: tuple[Grant, ...]

    def roles_at(self, site: str | None) -> set[Role]:
        """The roles that hold at ``site`` (every role when ``site`` is None)."""
        return {g.role for g in self.grants if site is None or g.site in (None, site)}

    def sites(self, every: list[str]) -> list[str]:
        """The sites this user may open, from the study's ``every`` site."""
        if any(g.site is None for g in self.grants):
            return every
        return [s for s in every if any(g.site == s for g in self.grants)]


def signed_in(request: Request) -> SignedIn:
    """The user the guard let through to this route (set before every route runs)."""
    user: SignedIn = request.state.user
    return user


def may_use(request: Request, route: str, site: str | None) -> bool:
    """Whether the signed-in user may use ``route`` at ``site``, as the permission table
    says: a page offers a form only to those who may post it."""
    return may(signed_in(request).roles_at(site), PERMISSIONS[route])


class NotSignedIn(Exception):
    """A page asked for without a session: the app answers with the sign-in page."""


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


async def _check_csrf(request: Request) -> None:
    expected = request.session.get(CSRF_FIELD)
    given = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if given is None and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not isinstance(expected, str) or given is None or not hmac.compare_digest(expected, given):
        raise HTTPException(
            403,
            f"{CSRF_FIELD}: got {'none' if given is None else 'a token that does not match'}, "
            f"expected this session's token (form field {CSRF_FIELD} or header {CSRF_HEADER}); "
            "reload the page and try again",
        )


@dataclass(frozen=True)
class _Looked:
    """What one read transaction found for a request: its user, and whether its site exists."""

    user: SignedIn | None
    site_exists: bool


def _look_up(database: Database, username: str, site: str | None) -> _Looked:
    # One read transaction for the user, their grants and the site: each transaction is a
    # round trip (and a BEGIN/COMMIT) that every request would pay.
    with database.read() as conn:
        row = find_user(conn, username)
        if row is None or not row["active"]:
            return _Looked(None, False)
        grants = tuple(grants_of(conn, int(row["id"])))
        exists = site is None or (
            conn.execute(select(sites.c.id).where(sites.c.code == site)).first() is not None
        )
    return _Looked(SignedIn(username, grants), exists)


async def guard(request: Request) -> None:
    """Refuse the request unless the permission table allows it (see the module doc)."""
    route = request.scope.get("route")
    rule = PERMISSIONS.get(getattr(route, "name", ""))
    if rule is None:
        raise HTTPException(403, "this route has no entry in the permission table")
    if request.method not in SAFE_METHODS:
        await _check_csrf(request)
    if rule.public:
        return
    named = request.path_params.get("site") if rule.per_site else None
    site = named if isinstance(named, str) else None
    username = request.session.get("user")
    looked = _Looked(None, False)
    if isinstance(username, str):
        # The database is read in a worker thread: on the event loop, a read waiting for
        # the disk would hold up every other request of the server.
        database: Database = request.app.state.database
        looked = await run_in_threadpool(_look_up, database, username, site)
    user = looked.user
    if user is None:
        if request.url.path.startswith("/api/"):
            raise HTTPException(401, "sign in first (POST /login)")
        raise NotSignedIn
    if rule.per_site and site is None:
        raise HTTPException(403, "this per-site route names no site")
    if not looked.site_exists:
        raise HTTPException(404, f"site: got {site!r}, expected a site of the study")
    roles = user.roles_at(site)
    if not may(roles, rule):
        held = ", ".join(sorted(roles)) or "no role"
        where = f" at site {site}" if site is not None else ""
        raise HTTPException(403, f"your roles{where} ({held}) do not allow: {rule.summary}")
    request.state.user = user
