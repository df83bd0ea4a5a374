"""Every source tag the project cites resolves to a reference shipped with the package.

The built-in protocol, population and grading files, and the docs, cite the literature
with tags (``[S1]``, ``[S25, S42]``, ``"S44: ..."``); ``src/mmntrial/sources.toml`` holds
the references and ``docs/sources.md`` is generated from it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mmntrial.sources import TAG, references, sources_markdown, tags_in, unknown_tags

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "src" / "mmntrial"
DOCS = ROOT / "docs"
PROTOCOLS = sorted((PACKAGE / "protocol" / "builtin").glob("*.toml"))
POPULATIONS = sorted((PACKAGE / "simulate" / "population" / "builtin").glob("*.toml"))
# Every data file the package ships, beside the two built-in folders: the grading table.
DATA_FILES = sorted(p for p in PACKAGE.rglob("*.toml") if p.name != "sources.toml")
PAGES = sorted(p for p in DOCS.glob("*.md") if p.name != "sources.md")


def test_the_built_in_files_are_found() -> None:
    assert {p.stem for p in PROTOCOLS} >= {"piepers-2007", "cidp-levels", "interval-lengthening"}
    assert {p.stem for p in POPULATIONS} >= {"mmn-default"}
    assert set(PROTOCOLS + POPULATIONS) <= set(DATA_FILES)


@pytest.mark.parametrize("path", PROTOCOLS + POPULATIONS, ids=lambda p: p.name)
def test_every_built_in_file_cites_sources_that_resolve(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert tags_in(text), f"{path.name} cites no source"
    assert unknown_tags(text) == [], f"{path.name}: tags missing from src/mmntrial/sources.toml"


@pytest.mark.parametrize("path", DATA_FILES + PAGES, ids=lambda p: p.name)
def test_every_tag_in_the_data_files_and_docs_resolves(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert unknown_tags(text) == [], f"{path}: tags missing from src/mmntrial/sources.toml"


def test_tags_in_every_citation_form_are_found() -> None:
    # The forms the built-in files use: a bracket list, a source field, a head list.
    text = '[S1, S5] x = { value = 1, source = "S44: about 45%" }\nsources = ["S2", "S13"]'
    assert tags_in(text) == ["S1", "S5", "S44", "S2", "S13"]
    # Subject numbers and words are not tags.
    assert tags_in("subject S01-004, S0, MRCS12, S12a, S1-2") == []
    assert unknown_tags("[S1, S999] S999") == ["S999"]


def test_the_reference_list_is_well_formed() -> None:
    listed = references()
    assert list(listed) == sorted(listed, key=lambda tag: int(tag[1:]))
    assert {"S1", "S32", "S50", "S54"} <= set(listed)
    for tag, text in listed.items():
        assert TAG.fullmatch(tag), tag
        assert text, tag
        assert text.strip() == text, tag
    assert re.search(r"Piepers .*Brain 2007", listed["S1"])
    with pytest.raises(TypeError):
        listed["S999"] = "a source nobody can add at run time"  # type: ignore[index]


def test_docs_sources_md_is_generated_from_the_list() -> None:
    command = "uv run python -m mmntrial.sources > docs/sources.md"
    current = (DOCS / "sources.md").read_text(encoding="utf-8")
    assert current == sources_markdown(), f"docs/sources.md is stale; regenerate it: {command}"
    for tag, text in references().items():
        assert f"| {tag} | {text} |" in current
