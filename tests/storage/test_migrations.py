"""The migrations and the models agree, on SQLite and PostgreSQL; revisions are checked."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

import mmntrial.capture.tables  # registers the capture app's tables
import mmntrial.randomization.store  # registers the ledger's tables
import mmntrial.storage.chain  # noqa: F401 - registers the hash chain's table
from mmntrial.errors import StorageError
from mmntrial.storage import HEAD, Database, metadata
from mmntrial.storage.migrate import MIGRATIONS
from tests.storage.postgres import raw

# The ledger's tables as the code before the storage layer created them (sqlite3 .schema).
PRE_STORAGE_LEDGER = Path(__file__).with_name("pre_storage_ledger.sql")


def test_head_is_the_newest_migration() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_heads() == [HEAD]


def test_models_and_migrations_agree(database: str | Path) -> None:
    with Database.open(database) as db, db.read() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []


def test_opening_brings_a_new_database_to_head_once(database: str | Path) -> None:
    for _ in range(2):
        with Database.open(database):
            pass
    assert raw(database, "SELECT version_num FROM alembic_version") == [(HEAD,)]


def test_a_database_at_an_unknown_revision_is_refused(database: str | Path) -> None:
    with Database.open(database):
        pass
    raw(database, "UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(
        StorageError,
        match=r"database revision: got 9999, expected one of 0001, 0002, 0003, 0004, 0005, "
        r"0006, 0007, 0008, 0009, 0010, 0011",
    ):
        Database.open(database)


def test_a_ledger_file_made_before_the_storage_layer_is_adopted(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.executescript(PRE_STORAGE_LEDGER.read_text())
        conn.execute(
            "INSERT INTO list_versions (commitment, method, accepted_at_utc) "
            "VALUES ('abc', 'blocks', '2026-01-01T00:00:00+00:00')"
        )
    with Database.open(path):
        pass
    assert raw(path, "SELECT version_num FROM alembic_version") == [(HEAD,)]
    assert raw(path, "SELECT commitment FROM list_versions") == [("abc",)]


def test_a_database_at_head_opens_without_importing_alembic(tmp_path: Path) -> None:
    path = tmp_path / "trial.db"
    with Database.open(path):
        pass
    code = (
        "import sys; from mmntrial.storage import Database; "
        f"Database.open({str(path)!r}).close(); print('alembic' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_ledger_with_allocations_in_clear_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.executescript(PRE_STORAGE_LEDGER.read_text())
        conn.execute(
            "INSERT INTO allocations (subject, stratum, seq, kit, arm, strata_json, "
            "allocated_by, allocated_at_utc, list_commitment) VALUES ('S1', 'all', 1, 'K', "
            "'mmf', '{}', 'n', '2026-01-01T00:00:00+00:00', 'abc')"
        )
    with pytest.raises(StorageError, match=r"allocations were made before the hash chain"):
        Database.open(path)
    assert raw(path, "SELECT subject, arm FROM allocations") == [("S1", "mmf")]
    assert raw(path, "SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'") == [(0,)]
