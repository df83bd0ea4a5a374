"""Change in log2 anti-GM1 titre, by the method the protocol names."""

from __future__ import annotations

import numpy as np
import pytest

from mmntrial.analysis import AnalysisError, ancova, compare_ranks, log2_titre_change

BASELINE = [800.0, 1600.0, 400.0, 3200.0, 800.0, 1600.0, 6400.0, 400.0]
FOLLOWUP = [200.0, 800.0, 200.0, 3200.0, 1600.0, 1600.0, 3200.0, 800.0]
ARMS = ["MMF"] * 4 + ["placebo"] * 4


def test_wilcoxon_compares_log2_changes() -> None:
    result = log2_titre_change(
        BASELINE, FOLLOWUP, ARMS, treatment="MMF", control="placebo", method="wilcoxon"
    )
    changes = [-2.0, -1.0, -1.0, 0.0, 1.0, 0.0, -1.0, 1.0]
    direct = compare_ranks(changes, ARMS, treatment="MMF", control="placebo")
    assert (result.estimate, result.p_value) == (direct.estimate, direct.p_value)
    assert result.test.startswith("Mann-Whitney U")


def test_ancova_adjusts_for_log2_baseline() -> None:
    result = log2_titre_change(
        BASELINE, FOLLOWUP, ARMS, treatment="MMF", control="placebo", method="ancova"
    )
    direct = ancova(np.log2(FOLLOWUP), np.log2(BASELINE), ARMS, treatment="MMF", control="placebo")
    assert result.estimate == pytest.approx(direct.estimate, rel=1e-12)
    assert result.name == "Anti-GM1 IgM titre, change in log2"


def test_zero_titre_is_refused() -> None:
    with pytest.raises(AnalysisError, match="baseline_titre: got 0, expected reciprocal"):
        log2_titre_change(
            [0.0, *BASELINE[1:]],
            FOLLOWUP,
            ARMS,
            treatment="MMF",
            control="placebo",
            method="ancova",
        )


def test_unknown_method_is_refused() -> None:
    with pytest.raises(AnalysisError, match="method: got 't-test', expected 'ancova' or"):
        log2_titre_change(
            BASELINE,
            FOLLOWUP,
            ARMS,
            treatment="MMF",
            control="placebo",
            method="t-test",  # type: ignore[arg-type]
        )


def test_unequal_lengths_are_refused() -> None:
    with pytest.raises(AnalysisError, match="followup_titre: got 7 values"):
        log2_titre_change(
            BASELINE, FOLLOWUP[:-1], ARMS, treatment="MMF", control="placebo", method="ancova"
        )
