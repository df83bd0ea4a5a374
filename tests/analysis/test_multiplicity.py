"""The multiplicity rules of the secondary endpoints: Holm, a fixed hierarchy, none."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from mmntrial.analysis.multiplicity import (
    NO_CLAIM,
    NOT_PERFORMED,
    NOT_SIGNIFICANT,
    NOT_TESTED,
    SIGNIFICANT,
    adjust,
    hierarchy_adjusted,
    holm_adjusted,
)
from mmntrial.errors import AnalysisError


@pytest.mark.parametrize("seed", range(20))
def test_holm_against_reference(seed: int) -> None:
    # statsmodels' multipletests(method="holm") is the reference, with ties and ones.
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 12))
    p = np.round(rng.uniform(0, 0.2, m) ** 2, 3)
    p[rng.uniform(size=m) < 0.2] = 1.0
    reject, expected, _, _ = multipletests(p, alpha=0.05, method="holm")
    np.testing.assert_allclose(holm_adjusted(p), expected, rtol=0, atol=1e-15)
    claimed = [a.claimed for a in adjust(p.tolist(), "holm", 0.05)]
    assert claimed == reject.tolist()


def test_holm_counts_a_test_not_performed_in_the_family() -> None:
    # Three planned endpoints, one not performed: the others are adjusted for three.
    steps = adjust([0.02, math.nan, 0.01], "holm", 0.05)
    assert [s.adjusted_p for s in steps[::2]] == pytest.approx([0.04, 0.03])
    assert math.isnan(steps[1].adjusted_p)
    assert [s.conclusion for s in steps] == [SIGNIFICANT, NOT_PERFORMED, SIGNIFICANT]


def test_hierarchy_stops_claiming_at_the_first_miss() -> None:
    steps = adjust([0.001, 0.04, 0.3, 0.0001, 0.01], "hierarchy", 0.05)
    assert [s.conclusion for s in steps] == [
        SIGNIFICANT,
        SIGNIFICANT,
        NOT_SIGNIFICANT,
        NOT_TESTED,
        NOT_TESTED,
    ]
    assert [s.claimed for s in steps] == [True, True, False, False, False]
    assert [s.adjusted_p for s in steps] == [0.001, 0.04, 0.3, 0.3, 0.3]
    assert [s.raw_p for s in steps] == [0.001, 0.04, 0.3, 0.0001, 0.01]


def test_hierarchy_stops_at_a_test_not_performed() -> None:
    steps = adjust([0.01, math.nan, 0.01], "hierarchy", 0.05)
    assert [s.conclusion for s in steps] == [SIGNIFICANT, NOT_PERFORMED, NOT_TESTED]


def test_hierarchy_adjusted_is_the_running_maximum() -> None:
    assert hierarchy_adjusted([0.2, 0.1, 0.3]).tolist() == [0.2, 0.2, 0.3]
    assert hierarchy_adjusted([]).tolist() == []


def test_none_claims_nothing() -> None:
    steps = adjust([0.001, math.nan], "none", 0.05)
    assert steps[0].adjusted_p == 0.001
    assert [s.claimed for s in steps] == [False, False]
    assert [s.conclusion for s in steps] == [NO_CLAIM, NOT_PERFORMED]


def test_bad_input_is_refused() -> None:
    with pytest.raises(AnalysisError, match=r"p_values: got 1\.5"):
        holm_adjusted([0.1, 1.5])
    with pytest.raises(AnalysisError, match="alpha: got 0"):
        adjust([0.1], "holm", 0.0)
    with pytest.raises(AnalysisError, match="multiplicity: got 'bonferroni'"):
        adjust([0.1], "bonferroni", 0.05)
