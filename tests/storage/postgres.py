"""A throwaway PostgreSQL cluster for the tests, and raw SQL on any test database.

The cluster is the project's own: ``initdb`` into a temporary directory, ``pg_ctl start``
on 127.0.0.1 and a free port, stopped at the end of the session. PostgreSQL refuses to
run as root, so as root the cluster runs as the ``postgres`` system user (which the
Debian package creates) in a directory that user owns. ``MMNTRIAL_TEST_POSTGRES_URL``
names an existing server instead (a user that may create databases).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, create_engine, make_url, text

ENV_URL = "MMNTRIAL_TEST_POSTGRES_URL"
SYSTEM_USER = "postgres"


class Unavailable(Exception):
    """PostgreSQL cannot be started here; the message says why."""


def _binaries() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not versions:
        raise Unavailable(
            "PostgreSQL is not installed (no pg_ctl on PATH or in /usr/lib/postgresql/*/bin); "
            "run scripts/system-deps"
        )
    return versions[-1].parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _as_user() -> list[str]:
    """The command prefix that runs PostgreSQL's programs as a user it accepts."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        raise Unavailable("running as root without runuser: cannot start PostgreSQL as non-root")
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        raise Unavailable(f"running as root and there is no {SYSTEM_USER!r} user") from None
    return [runuser, "-u", SYSTEM_USER, "--"]


@contextmanager
def cluster(*, durable: bool = False) -> Iterator[URL]:
    """Start a PostgreSQL cluster on loopback; yield the URL of its ``postgres`` database.

    The tests' cluster skips fsync (a throwaway cluster need not survive a power cut, and
    fsync would slow every test); ``durable`` keeps PostgreSQL's defaults instead, for
    benchmarks/bench_capture.py, which measures durable commits.
    """
    given = os.environ.get(ENV_URL)
    if given:
        yield make_url(given).set(drivername="postgresql+psycopg")
        return
    bin_dir = _binaries()
    prefix = _as_user()
    home = Path(tempfile.mkdtemp(prefix="mmntrial-pg-"))
    if prefix:
        shutil.chown(home, user=SYSTEM_USER)
    data = home / "data"
    port = free_port()

    def run(*args: str) -> None:
        done = subprocess.run([*prefix, *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = home / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise Unavailable(f"{' '.join(args[:2])} failed: {done.stderr.strip()} {tail}")

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--no-sync")  # fmt: skip
        options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={home}"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(home / "log"), "-o", options,
            "-w", "-t", "60", "start")  # fmt: skip
        try:
            yield URL.create(
                "postgresql+psycopg",
                username="postgres",
                host="127.0.0.1",
                port=port,
                database="postgres",
            )
        finally:
            subprocess.run(
                [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                capture_output=True,
                check=False,
            )
    finally:
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def fresh_database(server: URL, name: str) -> Iterator[str]:
    """A new, empty database on ``server``, dropped afterwards; yields its URL as text."""
    _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    yield server.set(database=name).render_as_string(hide_password=False)
    _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(server: URL, *statements: str) -> None:
    # A new engine each time, disposed at once: a test that forks workers must not hand
    # them an open connection of ours.
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        admin.dispose()


def raw(target: str | Path, sql: str) -> list[tuple[object, ...]]:
    """Run ``sql`` on a test database the way someone at a SQL prompt would: no mmntrial."""
    url = (
        make_url(target)
        if isinstance(target, str) and "://" in target
        else URL.create("sqlite", database=str(target))
    )
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql))
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()
