"""The estimand of the primary endpoint, its sensitivity to withdrawals, and the
one-sided primary test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from typing import Any

import pandas as pd
import pytest
from scipy import stats

from mmntrial.analysis.binary import compare_proportions_counts
from mmntrial.analysis.estimand import (
    BEST_CASE,
    COMPLETE_CASE,
    WORST_CASE,
    estimand_text,
    sensitivity,
)
from mmntrial.errors import AnalysisError
from mmntrial.protocol.loader import load_protocol
from mmntrial.protocol.model import WithdrawalRule


def test_one_sided_fisher_against_reference(reference: Callable[[str], dict[str, Any]]) -> None:
    data = reference("fisher_one_sided.json")
    for case in data["cases"]:
        counts = (case["x1"], case["n1"], case["x2"], case["n2"])
        result = compare_proportions_counts(*counts, alternative="greater")
        assert result.p_value == pytest.approx(case["p_greater"], abs=data["tolerance"])
        assert Fraction(case["exact"]) == pytest.approx(case["p_greater"], abs=1e-15)
        assert result.test == "Fisher's exact test (one-sided: treatment > control)"


def test_an_unknown_alternative_is_refused() -> None:
    with pytest.raises(AnalysisError, match="alternative: got 'less'"):
        compare_proportions_counts(1, 2, 1, 2, alternative="less")  # type: ignore[arg-type]


def _table() -> pd.DataFrame:
    # drug: 6 of 10 reached, 3 withdrawn (all counted as failures); control: 3 of 10
    # reached, 1 withdrawn.
    return pd.DataFrame(
        {
            "arm": ["drug"] * 10 + ["control"] * 10,
            "reached": [True] * 6 + [False] * 4 + [True] * 3 + [False] * 7,
            "withdrawn_before_day": [False] * 7 + [True] * 3 + [False] * 9 + [True],
        }
    )


def test_sensitivity_cases_count_the_withdrawn_as_stated() -> None:
    rows = {r.case: r for r in sensitivity(_table(), "drug", "control")}
    assert list(rows) == [COMPLETE_CASE, BEST_CASE, WORST_CASE]
    assert (dict(rows[COMPLETE_CASE].reached), dict(rows[COMPLETE_CASE].n)) == (
        {"drug": 6, "control": 3},
        {"drug": 7, "control": 9},
    )
    assert dict(rows[BEST_CASE].reached) == {"drug": 9, "control": 3}
    assert dict(rows[WORST_CASE].reached) == {"drug": 6, "control": 4}
    assert dict(rows[WORST_CASE].n) == {"drug": 10, "control": 10}
    for row in rows.values():
        table = [
            [row.reached["drug"], row.n["drug"] - row.reached["drug"]],
            [row.reached["control"], row.n["control"] - row.reached["control"]],
        ]
        assert row.result.p_value == pytest.approx(stats.fisher_exact(table).pvalue)
        assert row.handling in row.result.notes
    assert rows[BEST_CASE].result.p_value < rows[WORST_CASE].result.p_value


def test_sensitivity_uses_the_plans_alternative_and_level() -> None:
    rows = sensitivity(_table(), "drug", "control", alternative="greater", level=0.9)
    assert {r.result.ci_level for r in rows} == {0.9}
    assert {r.result.test for r in rows} == {"Fisher's exact test (one-sided: treatment > control)"}


def test_sensitivity_without_withdrawals_equals_the_primary() -> None:
    table = _table().assign(withdrawn_before_day=False)
    expected = stats.fisher_exact([[6, 4], [3, 7]]).pvalue
    for row in sensitivity(table, "drug", "control"):
        assert row.result.p_value == pytest.approx(expected)


def test_an_arm_without_subjects_left_is_not_performed() -> None:
    table = _table()
    table.loc[table["arm"] == "drug", "withdrawn_before_day"] = True
    complete = sensitivity(table, "drug", "control")[0]
    assert complete.result.test == "Fisher's exact test (not performed)"
    assert dict(complete.n) == {"drug": 0, "control": 9}


@pytest.mark.parametrize(
    ("rule", "words"),
    [(WithdrawalRule.FAILURE, "composite strategy"), (WithdrawalRule.LAST_REGIMEN, "while-on")],
)
def test_the_estimand_states_the_withdrawal_rule(rule: WithdrawalRule, words: str) -> None:
    primary = replace(load_protocol("piepers-2007").endpoints.primary, withdrawal=rule)
    text = estimand_text(primary, "mmf", "placebo")
    assert words in text
    assert "day 365" in text
    assert "at least 50%" in text
