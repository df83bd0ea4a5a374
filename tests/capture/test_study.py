"""The study's protocol is parsed once per text, not on every request that reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmntrial.capture import study as study_module
from mmntrial.capture.study import init_study, load_study
from mmntrial.protocol.loader import parse_protocol
from mmntrial.protocol.model import Protocol
from mmntrial.storage import Database
from tests.capture.conftest import PASSWORD


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def counted(data: dict[str, object], where: str) -> Protocol:
        calls.append(where)
        return parse_protocol(data, where)

    study_module._parsed.cache_clear()
    monkeypatch.setattr(study_module, "parse_protocol", counted)
    return calls


def _study(path: Path, protocol: str) -> Path:
    with Database.open(path) as db, db.write() as conn:
        init_study(conn, protocol, ["AMC"], "alice", PASSWORD)
    return path


def test_a_study_protocol_is_parsed_once_however_often_it_is_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _study(tmp_path / "study.db", "piepers-2007")
    calls = _counting(monkeypatch)
    with Database.open(path) as db, db.read() as conn:
        loaded = [load_study(conn) for _ in range(3)]
    assert calls == ["study protocol piepers-2007"]
    assert {s.protocol.name for s in loaded} == {"piepers-2007"}


def test_each_study_gets_its_own_protocol(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _study(tmp_path / "first.db", "piepers-2007")
    second = _study(tmp_path / "second.db", "cidp-levels")
    calls = _counting(monkeypatch)
    codes = []
    for path in (first, second, first):
        with Database.open(path) as db, db.read() as conn:
            codes.append(set(load_study(conn).exclusion_codes()))
    assert codes[0] == codes[2] != codes[1]
    assert "meningococcal" in codes[1]
    assert calls == ["study protocol piepers-2007", "study protocol cidp-levels"]
