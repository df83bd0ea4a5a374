"""Signing in to the capture app through FastAPI's TestClient, and reading CSRF tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from mmntrial.capture.web import create_app
from mmntrial.storage import Database
from tests.capture.conftest import PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def token_of(html: str) -> str:
    """The CSRF token a page carries in its forms."""
    found = TOKEN.search(html)
    assert found is not None, html
    return found.group(1)


@contextmanager
def app_client(target: str | Path) -> Iterator[tuple[TestClient, Database]]:
    """A client of the app serving the study at ``target`` (redirects not followed)."""
    database = Database.open(target)
    try:
        app = create_app(database, secret="test secret")
        with TestClient(app, follow_redirects=False) as client:
            yield client, database
    finally:
        database.close()


def sign_in(client: TestClient, user: str, password: str = PASSWORD) -> str:
    """Sign ``user`` in; return the session's CSRF token."""
    token = token_of(client.get("/login").text)
    done = client.post("/login", data={"username": user, "password": password, "csrf_token": token})
    assert done.status_code == 303, done.text
    return token_of(client.get("/").text)
