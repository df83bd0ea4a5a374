"""Prohibited and cautioned medications: the list as data, and whether a medication is on it.

The list ships as ``medications.toml`` beside this module (DOMAIN.md's evidence for
other treatments, with its source tags): each entry has a category (``prohibited``: it
confounds the trial; ``cautioned``: it may worsen MMN), the reason, WHO ATC codes and
names. :func:`check_medication` matches a medication as a site types it, by its ATC code
(a subgroup's code matches every substance under it) and by its name and synonyms as
whole words, after trimming, case folding and removing accents, so "Solu-Médrol 40 mg"
is methylprednisolone. The list is as good as its names: a name it does not hold is
not matched, which is why the capture form also takes the ATC code.

>>> check_medication("Prednisolone 5 mg").category
'cautioned'
>>> check_medication("paracetamol", atc="L04AX01").note.split(":")[0]
'azathioprine by its ATC code L04AX01'
>>> check_medication("azithromycin").category
'allowed'
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from mmntrial.errors import SafetyError

MEDICATIONS_FILE = "medications.toml"
PROHIBITED, CAUTIONED, ALLOWED = "prohibited", "cautioned", "allowed"
#: The categories of the list, the strictest first.
CATEGORIES = (PROHIBITED, CAUTIONED)
#: A WHO ATC code at any of its five levels (A, A01, A01A, A01AB, A01AB01).
ATC = re.compile(r"[A-Z](?:[0-9]{2}(?:[A-Z](?:[A-Z](?:[0-9]{2})?)?)?)?")
SUBSTANCE_LEVEL = 7  # characters of a substance's code (A01AB01)
#: Letters that case folding and accent removal leave as they are, spelled as sites type
#: them ("IFN-β" is "ifn beta").
_SPELLED = {"β": " beta ", "α": " alfa ", "γ": " gamma "}


@dataclass(frozen=True)
class ListedMedication:
    """One entry of the list: its key, category, reason (with its source tag), ATC
    codes and names (each name as its words)."""

    key: str
    category: str
    why: str
    atc: tuple[str, ...]
    names: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class MedicationCheck:
    """What the list says of one medication: the strictest category of the entries it
    matches (``allowed`` when none), and each match with how it was made."""

    category: str
    matches: tuple[tuple[ListedMedication, str], ...]

    @property
    def note(self) -> str:
        """The matches as a sentence for a site ("" when allowed)."""
        return "; ".join(
            f"{entry.key.replace('_', ' ')} by {by}: {entry.category}, {entry.why}"
            for entry, by in self.matches
        )


def words(text: str) -> tuple[str, ...]:
    """``text`` trimmed, case-folded, without accents, as its words (letters and digits).

    >>> words("  Solu-Médrol® 40mg ")
    ('solu', 'medrol', '40mg')
    """
    for letter, spelled in _SPELLED.items():
        text = text.replace(letter, spelled)
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c)
    )
    return tuple(re.findall(r"[^\W_]+", plain))


def atc_code(text: str) -> str:
    """An ATC code as typed, trimmed and upper-cased; a :class:`SafetyError` unless it is
    a code at one of the ATC's five levels."""
    code = text.strip().upper()
    if not ATC.fullmatch(code):
        raise SafetyError(
            f"atc_code: got {text!r}, expected a WHO ATC code such as H02AB06 (a letter, two "
            "digits, two letters, two digits)"
        )
    return code


def substance_code(text: str) -> str:
    """The ATC code of one substance (its fifth level, seven characters) as typed; a
    :class:`SafetyError` otherwise: a medication is one substance, and a group's code
    (L04) would hold listed and unlisted ones alike."""
    code = atc_code(text)
    if len(code) != SUBSTANCE_LEVEL:
        raise SafetyError(
            f"atc_code: got {text!r}, expected the code of one substance (seven characters, "
            "such as H02AB06), not of a group"
        )
    return code


def _contains(text: tuple[str, ...], name: tuple[str, ...]) -> bool:
    size = len(name)
    return any(text[i : i + size] == name for i in range(len(text) - size + 1))


def _entry(key: str, raw: Any) -> ListedMedication:
    where = f"{MEDICATIONS_FILE}: entries.{key}"
    if not isinstance(raw, Mapping) or set(raw) != {"category", "why", "atc", "names"}:
        raise SafetyError(f"{where}: got {raw!r}, expected category, why, atc and names")
    if raw["category"] not in CATEGORIES:
        raise SafetyError(
            f"{where}.category: got {raw['category']!r}, expected one of {', '.join(CATEGORIES)}"
        )
    for code in raw["atc"]:
        if atc_code(code) != code:
            raise SafetyError(f"{where}.atc: got {code!r}, expected an upper-case ATC code")
    names = tuple(words(n) for n in raw["names"])
    if not names or not all(names):
        raise SafetyError(f"{where}.names: got {raw['names']!r}, expected names with letters")
    return ListedMedication(key, raw["category"], raw["why"], tuple(raw["atc"]), names)


@cache
def medication_list() -> tuple[ListedMedication, ...]:
    """The entries of ``medications.toml``, checked on first use."""
    text = resources.files("mmntrial.safety").joinpath(MEDICATIONS_FILE).read_text("utf-8")
    raw = tomllib.loads(text)
    return tuple(_entry(key, entry) for key, entry in raw["entries"].items())


def check_medication(
    name: str, atc: str | None = None, listed: tuple[ListedMedication, ...] | None = None
) -> MedicationCheck:
    """Whether the medication ``name`` (with its ATC code ``atc``, if known) is on the list.

    An entry matches when the code is one of its codes or lies under one (a subgroup),
    or when one of its names appears in ``name`` as whole words. When the name and the
    code point to different entries, both are reported and the strictest category holds:
    a contradiction is shown, never settled by a guess.
    """
    text = words(name)
    code = substance_code(atc) if atc else None
    matches: list[tuple[ListedMedication, str]] = []
    for entry in listed if listed is not None else medication_list():
        if code is not None and any(code.startswith(c) for c in entry.atc):
            matches.append((entry, f"its ATC code {code}"))
        else:
            named = max((n for n in entry.names if _contains(text, n)), key=len, default=None)
            if named is not None:
                matches.append((entry, f"the name {' '.join(named)!r}"))
    category = next(
        (c for c in CATEGORIES if any(e.category == c for e, _ in matches)),
        ALLOWED,
    )
    return MedicationCheck(category, tuple(matches))


def medications_table() -> str:
    """The list as the Markdown table of docs/safety.md (a test compares).

    >>> print(medications_table().splitlines()[2].split(" | ")[:2])
    ['| corticosteroids', 'cautioned']
    """
    lines = ["| entry | category | ATC | names matched | why |", "|---|---|---|---|---|"]
    for e in medication_list():
        atc = ", ".join(e.atc) or "(a procedure: by name)"
        names = ", ".join(" ".join(n) for n in e.names)
        lines.append(f"| {e.key.replace('_', ' ')} | {e.category} | {atc} | {names} | {e.why} |")
    return "\n".join(lines)
