"""The MRC and grip forms: what a site types, the sums and bests, what is missing or wrong."""

from __future__ import annotations

import re

import pytest

from mmntrial.errors import MeasureError
from mmntrial.measures.grip import GripInstrument
from mmntrial.measures.grip_form import grip_form
from mmntrial.measures.mrc import MissingRule, protocol_muscle_set
from mmntrial.measures.mrc_form import mrc_form
from mmntrial.measures.plausibility import Verdict
from mmntrial.protocol.loader import load_protocol

PIEPERS = load_protocol("piepers-2007")
MUSCLES = protocol_muscle_set("piepers-2007", PIEPERS.measures.mrc_muscles)


def _all(grade: str) -> dict[str, dict[str, str | float | None]]:
    return {side: dict.fromkeys(MUSCLES.muscles, grade) for side in ("left", "right")}


def test_the_form_covers_the_protocol_s_muscle_set_both_sides() -> None:
    form = mrc_form(_all("5"), MUSCLES, quarter_steps=PIEPERS.measures.mrc_quarter_steps)
    assert (form.total, form.max_score, form.missing) == (100.0, 100.0, ())
    assert set(form.grades["left"]) == set(PIEPERS.measures.mrc_muscles)


def test_the_sum_as_you_type_and_what_is_missing() -> None:
    entries = _all("")
    entries["left"]["elbow_flexion"] = "4-"  # 4 with quarter steps off
    entries["right"]["elbow_flexion"] = 3
    form = mrc_form(entries, MUSCLES)
    assert (form.entered_sum, form.total) == (7.0, None)
    assert len(form.missing) == 18
    assert ("left", "elbow_flexion") not in form.missing
    assert form.missing[0] == ("left", "shoulder_abduction")


def test_quarter_steps_follow_the_protocol_setting() -> None:
    entries = _all("5")
    entries["left"]["elbow_flexion"] = "4-"
    assert mrc_form(entries, MUSCLES).total == 99.0
    assert mrc_form(entries, MUSCLES, quarter_steps=True).total == 98.75


def test_every_bad_grade_is_a_problem_of_its_own_field() -> None:
    entries = _all("5")
    entries["left"]["elbow_flexion"] = "6"
    entries["right"]["wrist_flexion"] = "5+"
    entries["right"]["biceps"] = "4"
    form = mrc_form(entries, MUSCLES)
    assert form.total is None
    assert sorted(form.problems) == [
        "mrc.left.elbow_flexion",
        "mrc.right.biceps",
        "mrc.right.wrist_flexion",
    ]
    assert form.problems["mrc.left.elbow_flexion"].startswith(
        "mrc.left.elbow_flexion: MRC grade for elbow_flexion (left): got '6', expected"
    )
    assert form.entered_sum == 90.0  # the 18 valid grades of 5


def test_impute_last_fills_a_missing_grade_from_the_previous_assessment() -> None:
    entries = _all("5")
    entries["right"]["finger_abduction"] = None
    previous = {"right": {"finger_abduction": 3.0}}
    form = mrc_form(entries, MUSCLES, missing=MissingRule.IMPUTE_LAST, previous=previous)
    assert (form.total, form.imputed) == (98.0, (("right", "finger_abduction"),))
    assert mrc_form(entries, MUSCLES, previous=previous).total is None  # rule "missing"
    with pytest.raises(MeasureError, match=re.escape("mrc_missing: got 'drop'")):
        mrc_form(entries, MUSCLES, missing="drop")


def test_grip_keeps_the_best_of_three_per_hand_with_the_instrument_explicit() -> None:
    form = grip_form(GripInstrument.MARTIN_VIGORIMETER, "kPa", left=[48, 55, 52], right=[40])
    assert (form.best("left"), form.best("right"), form.unit) == (55.0, 40.0, "kPa")
    assessment = form.assessment()
    assert assessment.instrument is GripInstrument.MARTIN_VIGORIMETER
    assert assessment.more_affected_best == 40.0


def test_a_jamar_read_in_lb_is_kept_in_kg_and_never_becomes_kpa() -> None:
    form = grip_form("jamar_dynamometer", "lb", left=[66, 70], right=[50])
    assert form.unit == "kg"
    assert form.best("left") == pytest.approx(70 * 0.45359237)
    refused = grip_form("martin_vigorimeter", "kg", left=[30], right=[32])
    assert not refused.ready
    assert refused.verdicts[0].message.startswith("grip.left.trial1: grip_kpa: got unit 'kg'")


def test_an_unusual_trial_waits_for_confirmation_and_a_refused_one_is_not_best() -> None:
    form = grip_form("martin_vigorimeter", "kPa", left=[48, 520, 160], right=[40])
    by_field = {v.field: v.verdict for v in form.verdicts}
    assert by_field == {
        "grip.left.trial1": Verdict.ACCEPTED,
        "grip.left.trial2": Verdict.REFUSED,
        "grip.left.trial3": Verdict.NEEDS_CONFIRMATION,
        "grip.right.trial1": Verdict.ACCEPTED,
    }
    assert form.best("left") == 160.0
    assert not form.ready
    with pytest.raises(MeasureError, match=re.escape("grip.left: the form has trials refused")):
        form.reading("left")
    confirmed = grip_form(
        "martin_vigorimeter", "kPa", left=[48, 160], right=[40], confirmed={"grip.left.trial2"}
    )
    assert confirmed.ready
    assert confirmed.best("left") == 160.0


def test_bad_grip_input_names_the_field() -> None:
    with pytest.raises(MeasureError, match=re.escape("grip.instrument: got 'dynamo'")):
        grip_form("dynamo", "kg", left=[1], right=[1])
    with pytest.raises(
        MeasureError, match=re.escape("grip.left: got 4 trials, expected at most 3")
    ):
        grip_form("martin_vigorimeter", "kPa", left=[1, 2, 3, 4], right=[1])
    with pytest.raises(MeasureError, match=re.escape("grip.right: got no trial, expected 1 to 3")):
        grip_form("martin_vigorimeter", "kPa", left=[40], right=[None]).assessment()
