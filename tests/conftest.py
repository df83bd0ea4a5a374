"""Fixtures for every test package: the databases the storage layer runs on.

``database`` is parametrized over SQLite (a file in the test's directory) and PostgreSQL
(a fresh database in a throwaway cluster, see tests/storage/postgres.py). Where
PostgreSQL cannot be started the PostgreSQL cases skip and say why, except when the
environment variable CI is set: there they fail, because CI must really test PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import URL

from tests.storage.postgres import Unavailable, cluster, fresh_database

ENGINES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[URL]:
    """The URL of a running PostgreSQL server's ``postgres`` database, for this session."""
    try:
        with cluster() as url:
            yield url
    except Unavailable as reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must test PostgreSQL, but: {reason}")
        pytest.skip(f"PostgreSQL unavailable: {reason}")


@pytest.fixture
def postgres_url(postgres_server: URL, request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    name = f"t{abs(hash(request.node.nodeid)) % 10**12}"
    with fresh_database(postgres_server, name) as url:
        yield url


@pytest.fixture(params=ENGINES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a test database lives: a SQLite file path, or a PostgreSQL URL."""
    if request.param == "sqlite":
        return tmp_path / "ledger.db"
    url: str = request.getfixturevalue("postgres_url")
    return url
