"""A study database for the capture tests: two sites and one user per role."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher

from mmntrial.capture import accounts, passwords
from mmntrial.capture.permissions import SITE_ROLES, Role
from mmntrial.capture.study import init_study
from mmntrial.storage import Database

PASSWORD = "correct horse battery"
SITES = ("AMC", "UMCU")
WHO = "test setup"


def user_for(role: Role) -> str:
    """The test user holding ``role`` (at site AMC for the site roles)."""
    return f"{role.value}_amc" if role in SITE_ROLES else role.value


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters: a real hash costs 64 MiB and ~0.1 s, times every user."""
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64))


@pytest.fixture
def study(database: str | Path) -> str | Path:
    """A study of piepers-2007 at AMC and UMCU; admin ``alice``; one user per role."""
    with Database.open(database) as db, db.write() as conn:
        init_study(conn, "piepers-2007", list(SITES), "alice", PASSWORD)
        for role in Role:
            name = user_for(role)
            accounts.add_user(conn, name, PASSWORD, WHO)
            accounts.grant(conn, name, role.value, "AMC" if role in SITE_ROLES else None, WHO)
    return database
