"""Naming a database: a path is a SQLite file, a URL is SQLite or PostgreSQL, else refused."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mmntrial.storage as storage
from mmntrial.errors import StorageError
from mmntrial.storage import Database, database_url
from tests.storage.postgres import free_port

PACKAGE = Path(storage.__file__).parent


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("ledger.db", "sqlite:///ledger.db"),
        (Path("/srv/trial/ledger.db"), "sqlite:////srv/trial/ledger.db"),
        ("sqlite:///ledger.db", "sqlite:///ledger.db"),
        ("postgresql://u:secret@h:5433/t", "postgresql+psycopg://u:secret@h:5433/t"),
        ("postgresql+psycopg://u@h/t", "postgresql+psycopg://u@h/t"),
    ],
)
def test_paths_and_urls(target: str | Path, expected: str) -> None:
    assert database_url(target).render_as_string(hide_password=False) == expected


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("", r"database: got '', expected a SQLite file path or a URL"),
        ("mysql://u@h/t", r"got 'mysql://u@h/t' \(mysql\), expected a SQLite file path"),
        ("postgresql+psycopg2://u:pw@h/t", r"got 'postgresql\+psycopg2://u:\*\*\*@h/t'"),
        ("sqlite://", r"an in-memory SQLite database; expected a file"),
        ("nonsense://", r"got 'nonsense://'"),
    ],
)
def test_what_cannot_be_used_is_refused(target: str, message: str) -> None:
    with pytest.raises(StorageError, match=message):
        database_url(target)


def test_a_server_that_does_not_answer_is_a_storage_error() -> None:
    url = f"postgresql://nurse:secret@127.0.0.1:{free_port()}/trial"
    with pytest.raises(StorageError, match=r"database 'postgresql\+psycopg://nurse:\*\*\*@") as err:
        Database.open(url)
    assert "secret" not in str(err.value)


def test_a_file_in_a_missing_folder_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match=r"in a folder that does not exist"):
        Database.open(tmp_path / "no-such-folder" / "ledger.db")


def test_storage_is_a_base_layer() -> None:
    """It imports mmntrial.errors and third-party libraries, never another mmntrial package."""
    inward = set()
    for source in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            inward |= {n for n in names if n.startswith("mmntrial.")}
    assert {n for n in inward if not n.startswith("mmntrial.storage")} == {"mmntrial.errors"}


def test_public_api_is_pinned() -> None:
    assert storage.__all__ == ["HEAD", "Database", "database_url", "metadata"]
