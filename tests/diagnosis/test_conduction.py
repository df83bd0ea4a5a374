"""Conduction block per segment against the EFNS/PNS 2010 definitions [S5], boundary by boundary.

Definite: area reduction >= 50% whatever the segment length, distal amplitude > 20% of
the lower limit of normal and > 1 mV, duration increase <= 30%. Probable: >= 30% over a
long upper limb segment with duration increase <= 30%, or >= 50% with > 30%. Not at
entrapment sites. Each case below sits on one side of one boundary, the others clear.
"""

from __future__ import annotations

import dataclasses

import pytest

from mmntrial.diagnosis.conduction import BlockGrade, SegmentStudy, conduction_block
from mmntrial.errors import MeasureError

# Distal area 10 mV*ms, amplitude 6 mV (LLN 4 mV), duration 5 ms; a long forearm segment.
CLEAR = SegmentStudy(
    nerve="median",
    segment="forearm",
    distal_area_mv_ms=10.0,
    proximal_area_mv_ms=10.0,
    distal_amplitude_mv=6.0,
    proximal_amplitude_mv=6.0,
    distal_duration_ms=5.0,
    proximal_duration_ms=5.0,
    distal_amplitude_lln_mv=4.0,
    long_upper_limb_segment=True,
    entrapment_site=False,
    sensory_conduction_normal=True,
)


def _segment(**changes: object) -> SegmentStudy:
    return dataclasses.replace(CLEAR, **changes)  # type: ignore[arg-type]


# (what the case shows, changes, expected grade) per the guideline's wording.
CASES = [
    ("no reduction", {}, BlockGrade.NONE),
    ("area -50%: definite", {"proximal_area_mv_ms": 5.0}, BlockGrade.DEFINITE),
    ("area -49.9%, long segment: probable", {"proximal_area_mv_ms": 5.01}, BlockGrade.PROBABLE),
    (
        "area -49.9%, short segment: none",
        {"proximal_area_mv_ms": 5.01, "long_upper_limb_segment": False},
        BlockGrade.NONE,
    ),
    (
        "area -50%, short segment: definite whatever the length",
        {"proximal_area_mv_ms": 5.0, "long_upper_limb_segment": False},
        BlockGrade.DEFINITE,
    ),
    ("area -30%, long segment: probable", {"proximal_area_mv_ms": 7.0}, BlockGrade.PROBABLE),
    ("area -29.9%, long segment: none", {"proximal_area_mv_ms": 7.01}, BlockGrade.NONE),
    (
        "duration +30%: still definite",
        {"proximal_area_mv_ms": 5.0, "proximal_duration_ms": 6.5},
        BlockGrade.DEFINITE,
    ),
    (
        "duration +30.2%: dispersion, area -50%: probable",
        {"proximal_area_mv_ms": 5.0, "proximal_duration_ms": 6.51},
        BlockGrade.PROBABLE,
    ),
    (
        "duration +30.2%, area -49.9% long segment: none",
        {"proximal_area_mv_ms": 5.01, "proximal_duration_ms": 6.51},
        BlockGrade.NONE,
    ),
    (
        "duration +30%, area -30% long segment: probable",
        {"proximal_area_mv_ms": 7.0, "proximal_duration_ms": 6.5},
        BlockGrade.PROBABLE,
    ),
    (
        "distal amplitude 1 mV (not > 1 mV): not definite; long segment: probable",
        {"proximal_area_mv_ms": 5.0, "distal_amplitude_mv": 1.0, "distal_amplitude_lln_mv": 2.0},
        BlockGrade.PROBABLE,
    ),
    (
        "distal amplitude 1.01 mV, LLN 2 mV: definite",
        {"proximal_area_mv_ms": 5.0, "distal_amplitude_mv": 1.01, "distal_amplitude_lln_mv": 2.0},
        BlockGrade.DEFINITE,
    ),
    (
        "distal amplitude 2 mV = 20% of LLN 10 mV (not >): not definite; short: none",
        {
            "proximal_area_mv_ms": 5.0,
            "distal_amplitude_mv": 2.0,
            "distal_amplitude_lln_mv": 10.0,
            "long_upper_limb_segment": False,
        },
        BlockGrade.NONE,
    ),
    (
        "distal amplitude 2.01 mV > 20% of LLN 10 mV: definite",
        {"proximal_area_mv_ms": 5.0, "distal_amplitude_mv": 2.01, "distal_amplitude_lln_mv": 10.0},
        BlockGrade.DEFINITE,
    ),
    (
        "area -100% (no proximal response): definite",
        {"proximal_area_mv_ms": 0.0, "proximal_amplitude_mv": 0.0},
        BlockGrade.DEFINITE,
    ),
    (
        "entrapment site: none whatever the numbers",
        {"proximal_area_mv_ms": 2.0, "entrapment_site": True},
        BlockGrade.NONE,
    ),
]


@pytest.mark.parametrize(("case", "changes", "grade"), CASES, ids=[c[0] for c in CASES])
def test_conduction_block_against_reference(
    case: str, changes: dict[str, object], grade: BlockGrade
) -> None:
    verdict = conduction_block(_segment(**changes))
    assert verdict.grade is grade, (case, verdict.reasons)
    assert verdict.counts is (grade is not BlockGrade.NONE)


def test_percentages_are_proximal_versus_distal() -> None:
    s = _segment(proximal_area_mv_ms=4.0, proximal_amplitude_mv=4.5, proximal_duration_ms=6.0)
    assert (s.area_reduction_percent, s.amplitude_reduction_percent) == (60.0, 25.0)
    assert s.duration_increase_percent == 20.0


def test_a_block_with_abnormal_sensory_conduction_does_not_count() -> None:
    verdict = conduction_block(_segment(proximal_area_mv_ms=5.0, sensory_conduction_normal=False))
    assert verdict.grade is BlockGrade.DEFINITE
    assert not verdict.counts
    assert "sensory conduction is abnormal" in verdict.reasons[-1]


def test_the_reasons_give_the_numbers() -> None:
    verdict = conduction_block(_segment(proximal_area_mv_ms=5.0, proximal_duration_ms=6.0))
    assert verdict.reasons == (
        "median forearm: definite conduction block: area reduction 50%, duration increase "
        "20%, distal amplitude 6 mV (needs > 1 mV and > 0.8 mV, 20% of the lower limit of "
        "normal)",
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"distal_area_mv_ms": 0.0},
            "median forearm distal_area_mv_ms: got 0.0, expected a number > 0",
        ),
        ({"proximal_area_mv_ms": -1.0}, "proximal_area_mv_ms: got -1.0, expected a number >= 0"),
        ({"proximal_duration_ms": float("nan")}, "proximal_duration_ms: got nan"),
        ({"distal_amplitude_mv": True}, "distal_amplitude_mv: got True"),
        ({"entrapment_site": "no"}, "entrapment_site: got 'no', expected true or false"),
        ({"nerve": " "}, "segment.nerve: got ' ', expected a name"),
    ],
)
def test_bad_segment_values_name_the_field(changes: dict[str, object], message: str) -> None:
    with pytest.raises(MeasureError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _segment(**changes)
