"""The study: the protocol it runs, its sites, its first administrator.

``mmntrial study init`` stores the protocol's text and content hash
(:func:`mmntrial.simulate.provenance.protocol_hash`) so that the app renders the very
protocol the study was started with (its exclusions are the screening log's coded
reasons), whatever happens to the file later.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sqlalchemy import Connection, select

from mmntrial.capture import accounts, audit
from mmntrial.capture.permissions import Role
from mmntrial.capture.tables import sites, study
from mmntrial.errors import CaptureError
from mmntrial.identifiers import checked_identifier
from mmntrial.inputs import read_bounded
from mmntrial.protocol.loader import builtin_names, load_protocol, parse_protocol
from mmntrial.protocol.model import Protocol
from mmntrial.simulate.provenance import protocol_hash

#: Who the audit trail names for what ``study init`` sets up.
SETUP = "mmntrial study init"
MAX_PROTOCOL_BYTES = 1_000_000


@dataclass(frozen=True)
class Study:
    """The study as stored: protocol name, content hash and the protocol itself."""

    protocol_name: str
    protocol_hash: str
    protocol: Protocol

    def exclusion_codes(self) -> dict[str, str]:
        """The protocol's exclusion checklist: code -> the question as a site reads it."""
        return {item.id: item.text for item in self.protocol.eligibility.exclusions}


def _protocol_text(name: str) -> str:
    if name in builtin_names():
        folder = resources.files("mmntrial.protocol").joinpath("builtin")
        return folder.joinpath(f"{name}.toml").read_text(encoding="utf-8")
    content = read_bounded(Path(name), MAX_PROTOCOL_BYTES)
    assert content is not None  # load_protocol read the same file within a smaller bound
    return content.decode("utf-8")


def site_codes(text: str) -> list[str]:
    """``AMC,UMCU`` as checked site codes; a :class:`CaptureError` naming ``--site``."""
    codes = [checked_identifier("--site", c, CaptureError) for c in text.split(",")]
    if len(set(codes)) != len(codes):
        raise CaptureError(f"--site: got {text!r}, expected each site code once")
    return codes


def init_study(
    conn: Connection, protocol: str, codes: list[str], admin: str, password: str
) -> Study:
    """Store the study, its sites and its first administrator (all audited)."""
    if conn.execute(select(study.c.id)).first() is not None:
        raise CaptureError(
            "--db: got a database that holds a study already, expected a new one (one "
            "study per database)"
        )
    loaded = load_protocol(protocol)
    values = {
        "protocol_name": loaded.name,
        "protocol_hash": protocol_hash(loaded),
        "protocol_text": _protocol_text(protocol),
    }
    audit.insert(conn, study, values, SETUP)
    for code in codes:
        audit.insert(conn, sites, {"code": code}, SETUP)
    accounts.add_user(conn, admin, password, SETUP)
    accounts.grant(conn, admin, Role.ADMIN, None, SETUP)
    return Study(loaded.name, values["protocol_hash"], loaded)


def load_study(conn: Connection) -> Study:
    """The study of this database; a :class:`CaptureError` when there is none."""
    row = conn.execute(select(study)).mappings().first()
    if row is None:
        raise CaptureError(
            "--db: got a database without a study, expected one made by `mmntrial study init`"
        )
    protocol = _parsed(row["protocol_name"], row["protocol_text"])
    return Study(row["protocol_name"], row["protocol_hash"], protocol)


@functools.lru_cache(maxsize=8)
def _parsed(name: str, text: str) -> Protocol:
    # Parsed once per text, not per request: every save reads the protocol (its exclusion
    # codes) inside the write lock, and parsing costs more than the durable commit itself
    # (benchmarks/bench_capture.py). Keyed by the text, so another study's is its own.
    return parse_protocol(tomllib.loads(text), f"study protocol {name}")


def all_sites(conn: Connection) -> list[str]:
    """Every site code of the study, sorted."""
    return list(conn.execute(select(sites.c.code).order_by(sites.c.code)).scalars())
