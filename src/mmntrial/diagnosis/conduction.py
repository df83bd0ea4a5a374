"""Motor conduction block per nerve segment, by the EFNS/PNS 2010 criteria [S5].

A segment is studied by stimulating distal and proximal to it; the negative-peak CMAP
area, amplitude and duration at both sites decide:

- **definite** CB: area reduction >= 50% whatever the segment length, the distal CMAP
  amplitude > 20% of the lower limit of normal and > 1 mV, and the duration increase
  (temporal dispersion) <= 30%;
- **probable** CB: area reduction >= 30% over a long upper limb segment with a duration
  increase <= 30%, or >= 50% with a duration increase > 30%;
- **none** otherwise, and at a common entrapment or compression site whatever the
  numbers.

The guideline defines no "possible" conduction block: "possible" is a diagnostic
category only (:mod:`mmntrial.diagnosis.category`). A block counts for the diagnosis
when its segment's sensory conduction is normal (electrophysiological criterion 3).
The numbers are ``conduction_block.thresholds`` of ``efns-pns-2010.toml``.

Percentages are rounded to 1e-6 before they are compared, so that exactly 50% or 30%
computed from values typed to the hundredth (13 ms / 10 ms = 1.3000000000000003) sits on
the side of the boundary the guideline puts it on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from mmntrial.diagnosis.guideline import Guideline, efns_pns_2010
from mmntrial.errors import MeasureError

_DIGITS = 6


class BlockGrade(StrEnum):
    """The conduction block one segment shows."""

    DEFINITE = "definite"
    PROBABLE = "probable"
    NONE = "none"


def _percent(value: float) -> float:
    return round(value, _DIGITS)


@dataclass(frozen=True, kw_only=True)
class SegmentStudy:
    """One motor nerve segment: negative-peak CMAP distal and proximal to it.

    Areas in mV*ms, amplitudes in mV, durations in ms. ``distal_amplitude_lln_mv`` is
    the laboratory's lower limit of normal of the distal CMAP amplitude for this nerve;
    ``long_upper_limb_segment`` marks a long segment of an arm nerve (wrist to elbow,
    elbow to axilla); ``entrapment_site`` a segment across a common entrapment or
    compression site; ``sensory_conduction_normal`` normal sensory conduction in it.
    """

    nerve: str
    segment: str
    distal_area_mv_ms: float
    proximal_area_mv_ms: float
    distal_amplitude_mv: float
    proximal_amplitude_mv: float
    distal_duration_ms: float
    proximal_duration_ms: float
    distal_amplitude_lln_mv: float
    long_upper_limb_segment: bool
    entrapment_site: bool
    sensory_conduction_normal: bool

    def __post_init__(self) -> None:
        for name in ("nerve", "segment"):
            text = getattr(self, name)
            if not isinstance(text, str) or not text.strip():
                raise MeasureError(f"segment.{name}: got {text!r}, expected a name")
        where = f"{self.nerve} {self.segment}"
        for name in ("long_upper_limb_segment", "entrapment_site", "sensory_conduction_normal"):
            if not isinstance(getattr(self, name), bool):
                raise MeasureError(
                    f"{where} {name}: got {getattr(self, name)!r}, expected true or false"
                )
        # Distal values divide: they must be positive; proximal ones may be 0 (full block).
        for name in (
            "distal_area_mv_ms",
            "distal_amplitude_mv",
            "distal_duration_ms",
            "distal_amplitude_lln_mv",
            "proximal_area_mv_ms",
            "proximal_amplitude_mv",
            "proximal_duration_ms",
        ):
            value = getattr(self, name)
            positive = name.startswith("distal")
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
                or (positive and value == 0)
            ):
                expected = "a number > 0" if positive else "a number >= 0"
                raise MeasureError(f"{where} {name}: got {value!r}, expected {expected}")

    @property
    def area_reduction_percent(self) -> float:
        """Proximal versus distal negative-peak area reduction, in percent."""
        return _percent(100.0 * (1.0 - self.proximal_area_mv_ms / self.distal_area_mv_ms))

    @property
    def amplitude_reduction_percent(self) -> float:
        """Proximal versus distal negative-peak amplitude reduction, in percent (shown only)."""
        return _percent(100.0 * (1.0 - self.proximal_amplitude_mv / self.distal_amplitude_mv))

    @property
    def duration_increase_percent(self) -> float:
        """Proximal versus distal negative-peak duration increase (temporal dispersion)."""
        return _percent(100.0 * (self.proximal_duration_ms / self.distal_duration_ms - 1.0))


@dataclass(frozen=True)
class SegmentVerdict:
    """The conduction block of one segment, whether it counts, and why, in words."""

    study: SegmentStudy
    grade: BlockGrade
    counts: bool
    reasons: tuple[str, ...]


def _g(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def conduction_block(study: SegmentStudy, guideline: Guideline | None = None) -> SegmentVerdict:
    """The conduction block ``study`` shows, by EFNS/PNS 2010 [S5].

    >>> s = SegmentStudy(nerve="median", segment="forearm", distal_area_mv_ms=20,
    ...     proximal_area_mv_ms=9, distal_amplitude_mv=6, proximal_amplitude_mv=2.8,
    ...     distal_duration_ms=5, proximal_duration_ms=5.5, distal_amplitude_lln_mv=4,
    ...     long_upper_limb_segment=True, entrapment_site=False,
    ...     sensory_conduction_normal=True)
    >>> v = conduction_block(s)
    >>> v.grade.value, v.counts
    ('definite', True)
    """
    g = guideline or efns_pns_2010()
    t = g.thresholds
    area, dispersion = study.area_reduction_percent, study.duration_increase_percent
    lln_part = t["definite_distal_amplitude_percent_of_lln"] / 100.0 * study.distal_amplitude_lln_mv
    amplitude_ok = (
        study.distal_amplitude_mv > lln_part
        and study.distal_amplitude_mv > t["definite_distal_amplitude_mv"]
    )
    dispersed = dispersion > t["max_duration_increase_percent"]
    facts = (
        f"area reduction {_g(area)}%, duration increase {_g(dispersion)}%, distal amplitude "
        f"{_g(study.distal_amplitude_mv)} mV (needs > {_g(t['definite_distal_amplitude_mv'])} "
        f"mV and > {_g(lln_part)} mV, {_g(t['definite_distal_amplitude_percent_of_lln'])}% of "
        f"the lower limit of normal)"
    )
    where = f"{study.nerve} {study.segment}"
    if study.entrapment_site:
        return SegmentVerdict(
            study,
            BlockGrade.NONE,
            False,
            (
                f"{where}: not judged, at an entrapment site "
                f"({g.wording('conduction_block', 'entrapment')})",
            ),
        )
    if area >= t["definite_area_reduction_percent"] and amplitude_ok and not dispersed:
        grade = BlockGrade.DEFINITE
    elif (
        area >= t["probable_long_segment_area_reduction_percent"]
        and study.long_upper_limb_segment
        and not dispersed
    ) or (area >= t["probable_dispersed_area_reduction_percent"] and dispersed):
        grade = BlockGrade.PROBABLE
    else:
        grade = BlockGrade.NONE
    reasons = [f"{where}: {grade.value} conduction block: {facts}"]
    counts = grade is not BlockGrade.NONE
    if counts and not study.sensory_conduction_normal:
        counts = False
        reasons.append(
            f"{where}: does not count, sensory conduction is abnormal in the segment "
            f"({g.wording('conduction_block', 'sensory')})"
        )
    return SegmentVerdict(study, grade, counts, tuple(reasons))


__all__ = ["BlockGrade", "SegmentStudy", "SegmentVerdict", "conduction_block"]
