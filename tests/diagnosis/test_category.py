"""Diagnostic categories against the EFNS/PNS 2010 definitions [S5] (DOMAIN.md section 6).

definite = clinical 1, 2, no exclusion (8-11), definite CB with normal sensory
conduction in one nerve; probable = probable CB in two nerves, or in one nerve with two
supportive criteria 1-4; possible = normal sensory conduction with two supportive
criteria, or signs in one nerve only with CB in that nerve; otherwise not met.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from mmntrial.diagnosis.category import Category, diagnose
from mmntrial.diagnosis.clinical import ClinicalFindings, SupportiveFindings, asymmetric
from mmntrial.diagnosis.conduction import SegmentStudy
from mmntrial.errors import MeasureError

CLINICAL = ClinicalFindings(
    focal_asymmetric_weakness=True,
    affected_nerves=2,
    weakness_months=6,
    objective_sensory_abnormality=False,
    predominant_upper_limb=True,
    reduced_reflexes=True,
    no_cranial_nerves=True,
    cramps_fasciculations=True,
    immunomodulation_response=True,
    upper_motor_neuron_signs=False,
    marked_bulbar_involvement=False,
    diffuse_symmetric_weakness=False,
)
NO_SUPPORT = SupportiveFindings(
    anti_gm1=False, csf_protein=False, mri_plexus=False, ivig_improvement=False
)
TWO_SUPPORT = dataclasses.replace(NO_SUPPORT, anti_gm1=True, ivig_improvement=True)
ONE_SUPPORT = dataclasses.replace(NO_SUPPORT, anti_gm1=True)


def _segment(nerve: str, proximal_area: float, *, sensory_normal: bool = True) -> SegmentStudy:
    """A long forearm segment, distal area 10, so proximal 5 = definite, 6 = probable."""
    return SegmentStudy(
        nerve=nerve,
        segment="forearm",
        distal_area_mv_ms=10.0,
        proximal_area_mv_ms=proximal_area,
        distal_amplitude_mv=6.0,
        proximal_amplitude_mv=6.0 * proximal_area / 10.0,
        distal_duration_ms=5.0,
        proximal_duration_ms=5.5,
        distal_amplitude_lln_mv=4.0,
        long_upper_limb_segment=True,
        entrapment_site=False,
        sensory_conduction_normal=sensory_normal,
    )


DEFINITE_CB = _segment("median", 5.0)
PROBABLE_CB = _segment("ulnar", 6.0)
PROBABLE_CB_2 = _segment("radial", 6.0)
NO_CB = _segment("peroneal", 9.0)

CASES = [
    (
        "definite CB in one nerve",
        CLINICAL,
        [DEFINITE_CB, NO_CB],
        NO_SUPPORT,
        True,
        Category.DEFINITE,
    ),
    (
        "probable CB in two nerves",
        CLINICAL,
        [PROBABLE_CB, PROBABLE_CB_2],
        NO_SUPPORT,
        True,
        Category.PROBABLE,
    ),
    (
        "two segments of one nerve are one nerve",
        CLINICAL,
        [PROBABLE_CB, dataclasses.replace(PROBABLE_CB, segment="upper arm")],
        NO_SUPPORT,
        False,
        Category.NOT_MET,
    ),
    (
        "probable CB in one nerve, two supportive",
        CLINICAL,
        [PROBABLE_CB],
        TWO_SUPPORT,
        True,
        Category.PROBABLE,
    ),
    (
        "probable CB in one nerve, one supportive",
        CLINICAL,
        [PROBABLE_CB],
        ONE_SUPPORT,
        False,
        Category.NOT_MET,
    ),
    (
        "no CB, normal sensory conduction, two supportive",
        CLINICAL,
        [NO_CB],
        TWO_SUPPORT,
        True,
        Category.POSSIBLE,
    ),
    (
        "no CB, normal sensory conduction, one supportive",
        CLINICAL,
        [NO_CB],
        ONE_SUPPORT,
        True,
        Category.NOT_MET,
    ),
    (
        "no CB, abnormal sensory conduction, two supportive",
        CLINICAL,
        [NO_CB],
        TWO_SUPPORT,
        False,
        Category.NOT_MET,
    ),
    (
        "signs in one nerve only, definite CB: possible",
        dataclasses.replace(CLINICAL, affected_nerves=1),
        [DEFINITE_CB],
        TWO_SUPPORT,
        True,
        Category.POSSIBLE,
    ),
    (
        "signs in one nerve only, no CB",
        dataclasses.replace(CLINICAL, affected_nerves=1),
        [NO_CB],
        TWO_SUPPORT,
        True,
        Category.NOT_MET,
    ),
    (
        "definite CB with abnormal sensory conduction in the segment: not definite",
        CLINICAL,
        [_segment("median", 5.0, sensory_normal=False)],
        NO_SUPPORT,
        True,
        Category.NOT_MET,
    ),
    (
        "weakness for exactly 1 month (needs more than 1)",
        dataclasses.replace(CLINICAL, weakness_months=1),
        [DEFINITE_CB],
        TWO_SUPPORT,
        True,
        Category.NOT_MET,
    ),
    (
        "weakness for 1.1 months",
        dataclasses.replace(CLINICAL, weakness_months=1.1),
        [DEFINITE_CB],
        NO_SUPPORT,
        True,
        Category.DEFINITE,
    ),
    (
        "upper motor neuron signs exclude",
        dataclasses.replace(CLINICAL, upper_motor_neuron_signs=True),
        [DEFINITE_CB],
        TWO_SUPPORT,
        True,
        Category.NOT_MET,
    ),
    (
        "marked bulbar involvement excludes",
        dataclasses.replace(CLINICAL, marked_bulbar_involvement=True),
        [DEFINITE_CB],
        TWO_SUPPORT,
        True,
        Category.NOT_MET,
    ),
    (
        "sensory impairment excludes",
        dataclasses.replace(CLINICAL, objective_sensory_abnormality=True),
        [DEFINITE_CB],
        TWO_SUPPORT,
        True,
        Category.NOT_MET,
    ),
    (
        "diffuse symmetric weakness excludes",
        dataclasses.replace(CLINICAL, diffuse_symmetric_weakness=True),
        [DEFINITE_CB],
        TWO_SUPPORT,
        True,
        Category.NOT_MET,
    ),
    (
        "no focal asymmetric weakness",
        dataclasses.replace(CLINICAL, focal_asymmetric_weakness=False),
        [DEFINITE_CB],
        TWO_SUPPORT,
        True,
        Category.NOT_MET,
    ),
    (
        "supportive clinical criteria 3-7 are not supportive criteria 1-4",
        CLINICAL,
        [PROBABLE_CB],
        NO_SUPPORT,
        True,
        Category.NOT_MET,
    ),
]


@pytest.mark.parametrize(
    ("case", "clinical", "segments", "supportive", "sensory_normal", "category"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_category_against_reference(
    case: str,
    clinical: ClinicalFindings,
    segments: list[SegmentStudy],
    supportive: SupportiveFindings,
    sensory_normal: bool,
    category: Category,
) -> None:
    result = diagnose(clinical, segments, supportive, sensory_conduction_normal=sensory_normal)
    assert result.category is category, (case, result.reasons)
    assert result.reasons


def test_every_exclusion_present_is_a_reason_in_the_guideline_s_words() -> None:
    clinical = dataclasses.replace(
        CLINICAL, upper_motor_neuron_signs=True, diffuse_symmetric_weakness=True
    )
    result = diagnose(clinical, [DEFINITE_CB], TWO_SUPPORT, sensory_conduction_normal=True)
    assert result.reasons == (
        "exclusion criterion present: 8. Upper motor neuron signs [S5]",
        "exclusion criterion present: 11. Diffuse symmetric weakness during the initial weeks [S5]",
    )


def test_the_reasons_name_the_nerves_and_the_support() -> None:
    definite = diagnose(CLINICAL, [NO_CB, DEFINITE_CB], NO_SUPPORT, sensory_conduction_normal=True)
    assert definite.reasons == (
        "definite conduction block with normal sensory conduction in median",
    )
    probable = diagnose(CLINICAL, [PROBABLE_CB], TWO_SUPPORT, sensory_conduction_normal=True)
    assert probable.reasons[0].startswith(
        "probable conduction block with normal sensory conduction in ulnar and 2 supportive "
        "criteria (1. Elevated IgM anti-ganglioside GM1 antibodies [S5]; 4. Objective"
    )
    assert len(probable.supportive_clinical) == 5


def test_admitted_follows_the_protocol_s_categories() -> None:
    definite = diagnose(CLINICAL, [DEFINITE_CB], NO_SUPPORT, sensory_conduction_normal=True)
    possible = diagnose(CLINICAL, [NO_CB], TWO_SUPPORT, sensory_conduction_normal=True)
    assert definite.admitted(("definite", "probable"))
    assert not possible.admitted(("definite", "probable"))
    assert possible.admitted(("possible",))


@pytest.mark.parametrize(
    ("weaker", "stronger", "expected"),
    [(4, 5, True), (4.25, 5, False), (3, 4, False), (3, 5, True), (1, 3, True), (2, 3, False)],
)
def test_asymmetry_against_reference(weaker: float, stronger: float, expected: bool) -> None:
    # 1 grade if strength > 3, 2 grades if <= 3 [S5]; either side may be the weaker.
    assert asymmetric(weaker, stronger, "finger_extension") is expected
    assert asymmetric(stronger, weaker, "finger_extension") is expected


def test_bad_findings_name_the_field() -> None:
    with pytest.raises(MeasureError, match=re.escape("clinical.affected_nerves: got -1, expected")):
        dataclasses.replace(CLINICAL, affected_nerves=-1)
    with pytest.raises(
        MeasureError, match=re.escape("clinical.weakness_months: got inf, expected")
    ):
        dataclasses.replace(CLINICAL, weakness_months=float("inf"))
    with pytest.raises(
        MeasureError, match=re.escape("clinical.reduced_reflexes: got 'yes', expected")
    ):
        dataclasses.replace(CLINICAL, reduced_reflexes="yes")
    with pytest.raises(
        MeasureError, match=re.escape("supportive.anti_gm1: got 1, expected true or false")
    ):
        dataclasses.replace(NO_SUPPORT, anti_gm1=1)
    with pytest.raises(MeasureError, match=r"MRC grade for finger_extension \(left\): got 6"):
        asymmetric(6, 5, "finger_extension")
