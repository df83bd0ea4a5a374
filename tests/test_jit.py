"""The compiled-code cache: one folder per state of the source, so none goes stale."""

from __future__ import annotations

import os
import subprocess
import sys
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


def _run(code: str, cache: Path, cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "MMNTRIAL_CACHE": str(cache)},
        check=True,
    )
    return done.stdout.strip()


def test_importing_the_engine_hashes_no_file_and_changes_no_numba_setting(
    tmp_path: Path,
) -> None:
    code = """
import numba
import numba.core.caching
before = numba.config.CACHE_DIR
import mmntrial._jit
import mmntrial.engine.core, mmntrial.engine.rules, mmntrial.simulate.trials.course_step
print(numba.config.CACHE_DIR == before,
      numba.core.caching._hash_source_file.cache_info().misses,
      mmntrial._jit._process_cache_folder.cache_info().misses)
"""
    assert _run(code, tmp_path / "cache", tmp_path) == "True 0 0"
    assert not (tmp_path / "cache").exists()


def test_compiled_code_is_found_by_the_next_process(tmp_path: Path) -> None:
    (tmp_path / "twice.py").write_text(
        "from mmntrial._jit import jit\n\n@jit\ndef twice(x):\n    return 2 * x\n"
    )
    code = """
import numba
from twice import twice
before = numba.config.CACHE_DIR
assert twice(21) == 42
print(sum(twice.stats.cache_hits.values()), numba.config.CACHE_DIR == before)
"""
    cache = tmp_path / "cache"
    assert _run(code, cache, tmp_path) == "0 True"
    assert _run(code, cache, tmp_path) == "1 True"
    assert list(cache.glob(f"numba-{source_digest()}/*/twice.twice-*.nbi"))
