"""The primary endpoint rule, written once in engine.endpoints.reaches_primary."""

from __future__ import annotations

import numpy as np
import pytest

from mmntrial.engine.endpoints import REDUCTION_TOLERANCE_PERCENT, reaches_primary
from mmntrial.protocol.model import PrimaryEndpoint, WithdrawalRule

FAILURE = PrimaryEndpoint(50.0, 365, WithdrawalRule.FAILURE)
LAST_REGIMEN = PrimaryEndpoint(50.0, 365, WithdrawalRule.LAST_REGIMEN)


def test_a_reduction_just_short_of_the_target_by_rounding_reaches_it() -> None:
    almost = 50.0 - REDUCTION_TOLERANCE_PERCENT / 2
    short = 50.0 - 2 * REDUCTION_TOLERANCE_PERCENT
    reached = reaches_primary(FAILURE, [almost, short, 50.0, 100.0], [False] * 4)
    assert reached.tolist() == [True, False, True, True]


def test_no_regimen_to_judge_has_not_reached_it() -> None:
    assert reaches_primary(FAILURE, [np.nan], [False]).tolist() == [False]


@pytest.mark.parametrize(
    ("primary", "withdrawal", "expected"),
    [
        (FAILURE, None, [False, True]),
        (LAST_REGIMEN, None, [True, True]),
        (LAST_REGIMEN, WithdrawalRule.FAILURE, [False, True]),
        (FAILURE, WithdrawalRule.LAST_REGIMEN, [True, True]),
    ],
)
def test_early_withdrawal_fails_only_under_the_failure_rule(
    primary: PrimaryEndpoint, withdrawal: WithdrawalRule | None, expected: list[bool]
) -> None:
    reached = reaches_primary(primary, [75.0, 75.0], [True, False], withdrawal)
    assert reached.tolist() == expected


def test_one_patient_gives_one_answer() -> None:
    assert bool(reaches_primary(FAILURE, 60.0, False)) is True
    assert bool(reaches_primary(FAILURE, 60.0, True)) is False
