"""A real `mmntrial serve` process on a free loopback port, and HTTP clients signed in to it.

Used by the crash test (tests/capture/test_crash.py) and the latency benchmark
(benchmarks/bench_capture.py): both need the server as a site runs it, a separate
process that can be killed, not the app inside the test process.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.capture.web_client import token_of
from tests.storage.postgres import free_port

#: How long to wait for the server to listen (a limit against hanging, not a measurement).
STARTUP_LIMIT_S = 60
#: How long an HTTP request may take before the client gives up (a limit, not a measure).
REQUEST_LIMIT_S = 120


class ServerFailed(Exception):
    """`mmntrial serve` exited or did not listen in time; the message holds its output."""


@dataclass(frozen=True)
class Served:
    """A running server: its base URL and its process (to stop or kill it)."""

    base: str
    process: subprocess.Popen[bytes]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def serving(target: str | Path, log: Path) -> Iterator[Served]:
    """Run `mmntrial serve --db TARGET` until the block ends (its output goes to ``log``).

    The process is stopped at the end unless it has exited already (killed by the
    caller, for instance).
    """
    port = free_port()
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "mmntrial", "serve", "--db", str(target), "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise ServerFailed(f"mmntrial serve did not start: {log.read_text()}")
            time.sleep(0.05)
        yield Served(f"http://127.0.0.1:{port}", process)
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=STARTUP_LIMIT_S)


def client(base: str) -> httpx.AsyncClient:
    """An HTTP client of the server with its own cookie jar (one session per client)."""
    return httpx.AsyncClient(base_url=base, timeout=REQUEST_LIMIT_S, follow_redirects=False)


async def sign_in(session: httpx.AsyncClient, user: str, password: str) -> str:
    """Sign ``user`` in on ``session``; return the session's CSRF token."""
    token = token_of((await session.get("/login")).text)
    done = await session.post(
        "/login", data={"username": user, "password": password, "csrf_token": token}
    )
    if done.status_code != 303:
        raise ServerFailed(f"sign-in of {user}: {done.status_code} {done.text}")
    return token_of((await session.get("/")).text)
