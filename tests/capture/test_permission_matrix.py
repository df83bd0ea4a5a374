"""Role x route x own/other site, generated from the permission table: no leaks.

Every route of the app, for a user of every role (the site roles held at AMC), at AMC
(own site) and at UMCU (another site) where the route names a site. What the table
allows must not be refused (403), and what it does not allow must be refused with 403:
a GET returns no page, a POST changes nothing. Bodies are empty or incomplete, so an
allowed POST ends in a 4xx of its own (422) or a redirect, never in a change.
"""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Route

from mmntrial.capture.permissions import PERMISSIONS, Role, may
from mmntrial.capture.tables import TABLES
from tests.capture.conftest import user_for
from tests.capture.web_client import app_client, sign_in
from tests.storage.postgres import raw

OWN, OTHER = "AMC", "UMCU"


def _row_counts(target: str | Path) -> dict[str, object]:
    return {name: raw(target, f"SELECT count(*) FROM {name}") for name in TABLES}


def test_every_role_reaches_what_the_table_allows_and_nothing_else(study: str | Path) -> None:
    before = _row_counts(study)
    checked, leaks = 0, []
    with app_client(study) as (client, _):
        routes = [r for r in client.app.routes if isinstance(r, Route)]  # type: ignore[attr-defined]
        for role in Role:
            client.cookies.clear()
            token = sign_in(client, user_for(role))
            for route in routes:
                rule = PERMISSIONS[route.name]
                if rule.public or route.name == "logout":
                    continue
                sites = (OWN, OTHER) if "{site}" in route.path else (None,)
                for site in sites:
                    path = route.path.replace("{site}", site or "")
                    held = {role} if role not in {Role.INVESTIGATOR, Role.STUDY_NURSE} or site in (
                        None, OWN) else set()  # fmt: skip
                    allowed = may(held, rule)
                    for method in sorted(route.methods - {"HEAD"}):
                        headers = {"X-CSRF-Token": token}
                        if method == "GET":
                            response = client.get(path)
                        elif path.startswith("/api/"):
                            response = client.post(path, json={}, headers=headers)
                        else:
                            response = client.post(path, data={"csrf_token": token})
                        checked += 1
                        assert response.status_code < 500, (role, method, path, response.text)
                        refused = response.status_code == 403
                        if refused == allowed:
                            leaks.append((role.value, method, path, response.status_code))
    assert leaks == []
    assert checked > 100
    assert _row_counts(study) == before
