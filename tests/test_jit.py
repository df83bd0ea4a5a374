"""The compiled-code cache: one folder per state of the source, so none goes stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmntrial._jit import cache_folder, source_digest


def test_the_digest_changes_with_any_source_file(tmp_path: Path) -> None:
    (tmp_path / "engine").mkdir()
    (tmp_path / "engine" / "rules.py").write_text("THRESHOLD = 2\n")
    (tmp_path / "core.py").write_text("from engine.rules import THRESHOLD\n")
    before = source_digest(tmp_path)
    assert source_digest(tmp_path) == before
    # A callee's file changes, its caller's does not: the cache must still be new.
    (tmp_path / "engine" / "rules.py").write_text("THRESHOLD = 3\n")
    assert source_digest(tmp_path) != before


def test_the_cache_folder_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MMNTRIAL_CACHE", str(tmp_path))
    assert cache_folder() == tmp_path / f"numba-{source_digest()}"
    monkeypatch.delenv("MMNTRIAL_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_folder().parent == tmp_path / "xdg" / "mmntrial"
