"""The reference list behind the source tags of the built-in files.

Protocol, population and grading files cite the literature with tags such as ``[S1]``,
``[S25, S42]`` or ``"S44: about 45% positive"``. The tags keep the numbers of the
project's domain notes; the references themselves ship with the package
(``sources.toml``), so that a user with only the project can look every tag up. This
module reads that list, finds the tags in a text and renders ``docs/sources.md``::

    uv run python -m mmntrial.sources > docs/sources.md

>>> references()["S1"]
'Piepers et al., Brain 2007;130:2004-10, doi:10.1093/brain/awm144 (abstract)'
>>> tags_in("threshold = 8   # grip drop >= 8 kPa [S25, S42]; patient S01-004")
['S25', 'S42']
>>> unknown_tags("[S1, S6]")
['S6']
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType

SOURCES_FILE = "sources.toml"

# S1, S42; not a subject number such as S01 or S01-004, nor part of a longer word.
TAG = re.compile(r"(?<![\w-])S[1-9][0-9]*(?![\w-])")


@functools.cache
def references() -> Mapping[str, str]:
    """Every source tag and its full reference, in the order of their numbers.

    Read from the package on first use (not at import), then kept.
    """
    text = resources.files("mmntrial").joinpath(SOURCES_FILE).read_text(encoding="utf-8")
    listed = tomllib.loads(text)["sources"]
    ordered = sorted(listed.items(), key=lambda item: int(item[0][1:]))
    return MappingProxyType({tag: str(reference) for tag, reference in ordered})


def tags_in(text: str) -> list[str]:
    """The distinct source tags ``text`` cites, in the order they first appear."""
    return list(dict.fromkeys(TAG.findall(text)))


def unknown_tags(text: str) -> list[str]:
    """The tags ``text`` cites that the reference list does not have."""
    known = references()
    return [tag for tag in tags_in(text) if tag not in known]


def sources_markdown() -> str:
    """``docs/sources.md``: the reference list as Markdown.

    >>> sources_markdown().splitlines()[0]
    '# Sources'
    """
    lines = [
        "# Sources",
        "",
        f"<!-- Generated from src/mmntrial/{SOURCES_FILE}; do not edit. Regenerate with:",
        "     uv run python -m mmntrial.sources > docs/sources.md -->",
        "",
        "The built-in protocols (`src/mmntrial/protocol/builtin/`), the population file",
        "(`src/mmntrial/simulate/population/builtin/`), the grading table",
        "(`src/mmntrial/safety/ctcae-v5.toml`) and these docs cite the literature with",
        'source tags: `[S1]`, `[S25, S42]`, `source = "S44: about 45% positive"`. Each tag',
        "stands for the reference below; a number that is not listed is not cited. A value",
        "marked `ASSUMPTION: why` has no source and says why it was chosen.",
        "",
        "| tag | reference |",
        "|---|---|",
    ]
    lines += [f"| {tag} | {_cell(text)} |" for tag, text in references().items()]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


__all__ = ["SOURCES_FILE", "TAG", "references", "sources_markdown", "tags_in", "unknown_tags"]


if __name__ == "__main__":
    print(sources_markdown(), end="")
