"""``mmntrial serve``: the capture web app on a loopback address, through uvicorn.

The app speaks plain HTTP and its session cookie is a bearer secret: it must never
cross a network unencrypted. So it listens on loopback only, and a site puts a TLS
reverse proxy (nginx, Caddy) in front of it; any other host is refused.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer

from mmntrial.cli.studydb import DbOpt, open_existing
from mmntrial.errors import CaptureError

MAX_PORT = 65535


def loopback_host(host: str) -> str:
    """``host`` when it is a loopback address (or ``localhost``); else a CaptureError."""
    try:
        is_loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        is_loopback = False
    if not is_loopback:
        raise CaptureError(
            f"--host: got {host!r}, expected a loopback address (127.0.0.1, ::1 or "
            "localhost): the app speaks plain HTTP, so put a TLS reverse proxy (nginx, "
            "Caddy) in front of it and let the proxy face the network"
        )
    return host


def serve(
    db: DbOpt,
    host: Annotated[str, typer.Option("--host", help="Loopback address to listen on.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="The study's list file (the sealed key), held in memory for the unblinded "
            "views and emergency unblinding.",
        ),
    ] = None,
) -> None:
    """Serve the capture web app on this machine (behind a TLS reverse proxy)."""
    loopback_host(host)
    if not 1 <= port <= MAX_PORT:
        raise CaptureError(f"--port: got {port}, expected a TCP port from 1 to {MAX_PORT}")
    # Imported here: the web stack loads only for this command.
    import uvicorn

    from mmntrial.capture.allocation import check_key
    from mmntrial.capture.study import load_study
    from mmntrial.capture.web import create_app
    from mmntrial.randomization.listfile import load

    sealed = load(key) if key is not None else None
    database = open_existing(db)
    with database.read() as conn:
        study = load_study(conn)
        if sealed is not None:
            check_key(conn, sealed)
    typer.echo(f"study {study.protocol_name}: http://{host}:{port}/ (Ctrl-C stops)")
    try:
        uvicorn.run(create_app(database, key=sealed), host=host, port=port, log_level="warning")
    finally:
        database.close()
