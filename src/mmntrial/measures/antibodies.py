"""Anti-GM1 IgM titres as log2 dilution steps, always with the assay named.

A titre of 1:3200 is stored as log2(3200) = 11.64 steps (catalogue measure
``anti_gm1_log2``), so that a doubling dilution is one step and a change between two
visits is a difference of steps. ELISA titres from different labs or antigens (GM1,
GM1:GalC) are not on one scale (DOMAIN.md section 3), so every titre carries its assay
name, and a change is only computed between titres of the same assay. Assay names are
compared exactly, after collapsing runs of white space.

A result reported below the detection limit ("<1:100", "negative") has no titre; it is
refused here and must be recorded as such by the caller.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from mmntrial.errors import MeasureError
from mmntrial.measures.catalogue import check_value

_TITRE = re.compile(r"1\s*:\s*(\d+(?:\.\d+)?)")


def _assay_name(assay: object) -> str:
    if not isinstance(assay, str) or not assay.strip():
        raise MeasureError(
            f"anti-GM1 assay: got {assay!r}, expected the assay name (e.g. 'GM1 ELISA, "
            "Utrecht'); a titre without its assay cannot be compared"
        )
    return " ".join(assay.split())


@dataclass(frozen=True)
class AntiGm1Titre:
    """An anti-GM1 IgM titre in log2 dilution steps, with the assay that measured it.

    >>> t = AntiGm1Titre(11.0, "GM1 ELISA")
    >>> t.dilution, str(t)
    (2048.0, '1:2048 (GM1 ELISA)')
    """

    log2_steps: float
    assay: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "assay", _assay_name(self.assay))
        steps = check_value("anti_gm1_log2", self.log2_steps, "log2_steps")
        object.__setattr__(self, "log2_steps", steps)

    @property
    def dilution(self) -> float:
        """The reciprocal titre: 3200.0 for 1:3200."""
        return float(2.0**self.log2_steps)

    def __str__(self) -> str:
        return f"1:{self.dilution:g} ({self.assay})"


def parse_titre(text: str, assay: str | None) -> AntiGm1Titre:
    """Read a titre written "1:N" into log2 steps; the assay name is required.

    >>> t = parse_titre("1:3200", "GM1 ELISA")
    >>> round(t.log2_steps, 4)
    11.6439
    >>> parse_titre("1:3200", None)
    Traceback (most recent call last):
    ...
    mmntrial.errors.MeasureError: anti-GM1 assay: got None, expected the assay name ...
    """
    name = _assay_name(assay)
    match = _TITRE.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None or float(match.group(1)) < 1:
        raise MeasureError(
            f"anti-GM1 titre ({name}): got {text!r}, expected a dilution '1:N' with N of "
            "1 or more (e.g. '1:3200'); a result below detection has no titre"
        )
    return AntiGm1Titre(math.log2(float(match.group(1))), name)


def titre_change_log2(before: AntiGm1Titre, after: AntiGm1Titre) -> float:
    """Change in log2 steps from ``before`` to ``after`` (negative = titre fell).

    Both titres must come from the same assay.

    >>> titre_change_log2(parse_titre("1:3200", "GM1 ELISA"), parse_titre("1:800", "GM1 ELISA"))
    -2.0
    >>> titre_change_log2(parse_titre("1:3200", "GM1 ELISA"), parse_titre("1:800", "GM1:GalC"))
    Traceback (most recent call last):
    ...
    mmntrial.errors.MeasureError: anti-GM1 titre change: got assays 'GM1 ELISA' and ...
    """
    if before.assay != after.assay:
        raise MeasureError(
            f"anti-GM1 titre change: got assays {before.assay!r} and {after.assay!r}, "
            "expected the same assay for both titres (titres of different assays are "
            "not on one scale)"
        )
    return after.log2_steps - before.log2_steps


__all__ = ["AntiGm1Titre", "parse_titre", "titre_change_log2"]
