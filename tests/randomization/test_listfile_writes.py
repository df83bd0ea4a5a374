"""The list file is written atomically: a failed save keeps the old list, whole and secret."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mmntrial import atomic
from mmntrial.errors import OutputError
from mmntrial.randomization.design import make_design
from mmntrial.randomization.listfile import load, save
from mmntrial.randomization.lists import generate

DESIGN = make_design("simple", [("a", 1), ("b", 1)])


def test_a_failed_save_keeps_the_old_list_and_leaves_no_debris(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = generate(DESIGN, 4, seed=1)
    path = save(old, tmp_path / "list.json")

    def disk_full(source: Path, destination: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", disk_full)
    with pytest.raises(OutputError, match=r"list.json': cannot be written \(No space left"):
        save(generate(DESIGN, 6, seed=2), path)
    assert load(path) == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["list.json"]


def test_the_list_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = save(generate(DESIGN, 4, seed=1), tmp_path / "list.json")
    assert os.stat(path).st_mode & 0o777 == 0o600
