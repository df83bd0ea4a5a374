"""The estimand of the primary endpoint and its sensitivity analysis.

The primary endpoint (IVIg intensity reduced by the protocol's percentage at its day)
needs a rule for subjects who leave before that day: the protocol's
``endpoints.primary.withdrawal`` is that rule, and :func:`estimand_text` states the
estimand it defines in the words of ICH E9(R1). The study drug's arm may lose more
patients (side effects), so the result may hang on the rule: :func:`sensitivity`
re-runs the primary test with the withdrawn subjects

- left out (complete case: only subjects followed up to the day),
- counted as having reached the endpoint in the study-drug arm and not in the control
  arm (best case for the study drug), and
- the reverse (worst case for the study drug).

If the conclusion holds in the worst case, no handling of withdrawals can overturn it.

>>> import pandas as pd
>>> table = pd.DataFrame({
...     "arm": ["mmf"] * 4 + ["placebo"] * 4,
...     "reached": [True, True, False, False, True, False, False, False],
...     "withdrawn_before_day": [False, False, True, True, False, False, False, True],
... })
>>> rows = sensitivity(table, "mmf", "placebo")
>>> [(r.case, dict(r.reached), dict(r.n)) for r in rows]  # doctest: +NORMALIZE_WHITESPACE
[('complete case', {'mmf': 2, 'placebo': 1}, {'mmf': 2, 'placebo': 3}),
 ('best case for the study drug', {'mmf': 4, 'placebo': 1}, {'mmf': 4, 'placebo': 4}),
 ('worst case for the study drug', {'mmf': 2, 'placebo': 2}, {'mmf': 4, 'placebo': 4})]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType

import pandas as pd

from mmntrial.analysis.binary import Alternative, compare_proportions
from mmntrial.analysis.comparison import ResultSpec, guarded
from mmntrial.analysis.result import TestResult
from mmntrial.protocol.model import PrimaryEndpoint, WithdrawalRule

COMPLETE_CASE = "complete case"
BEST_CASE = "best case for the study drug"
WORST_CASE = "worst case for the study drug"


@dataclass(frozen=True)
class SensitivityRow:
    """The primary test under one handling of the withdrawn subjects."""

    case: str
    handling: str  # what was done with the withdrawn subjects, in words
    reached: Mapping[str, int]
    n: Mapping[str, int]
    result: TestResult

    def __post_init__(self) -> None:
        object.__setattr__(self, "reached", MappingProxyType(dict(self.reached)))
        object.__setattr__(self, "n", MappingProxyType(dict(self.n)))


def estimand_text(primary: PrimaryEndpoint, treatment: str, control: str) -> str:
    """The estimand of the primary endpoint, as the report and the SAP state it.

    >>> from mmntrial.protocol.loader import load_protocol
    >>> p = load_protocol("piepers-2007").endpoints.primary
    >>> estimand_text(p, "mmf", "placebo")[:64]
    'Estimand: the difference (mmf - placebo) in the proportion of ra'
    """
    if primary.withdrawal is WithdrawalRule.FAILURE:
        strategy = (
            "a subject who withdraws before the day has not reached it (composite "
            "strategy: leaving the study counts as failure, whatever the reason)"
        )
    else:
        strategy = (
            "a subject who withdraws before the day is judged on the IVIg regimen in force "
            "when leaving (while-on-study strategy: what happens after leaving is not "
            "part of the question)"
        )
    return (
        f"Estimand: the difference ({treatment} - {control}) in the proportion of randomized "
        f"subjects (intention to treat) whose IVIg dose intensity in force at day "
        f"{primary.day} is at least {primary.reduction_percent:g}% below their baseline "
        f"intensity; {strategy}. Sensitivity analyses below change only how withdrawals "
        "count."
    )


def sensitivity(
    table: pd.DataFrame,
    treatment: str,
    control: str,
    *,
    alternative: Alternative = "two-sided",
    level: float = 0.95,
) -> tuple[SensitivityRow, ...]:
    """The primary test under complete case, best case and worst case for the study drug.

    ``table`` has one row per randomized subject of the two compared arms, with columns
    ``arm``, ``reached`` and ``withdrawn_before_day``.
    """
    frame = table[table["arm"].isin((treatment, control))]
    withdrawn = frame["withdrawn_before_day"].to_numpy(dtype=bool)
    reached = frame["reached"].to_numpy(dtype=bool)
    in_treatment = (frame["arm"] == treatment).to_numpy()
    kept = frame[~withdrawn]
    cases = (
        (
            COMPLETE_CASE,
            "withdrawn subjects left out",
            kept["reached"].to_numpy(dtype=bool),
            kept["arm"].to_numpy(),
        ),
        (
            BEST_CASE,
            f"withdrawn subjects counted as reached under {treatment}, not under {control}",
            (reached & ~withdrawn) | (withdrawn & in_treatment),
            frame["arm"].to_numpy(),
        ),
        (
            WORST_CASE,
            f"withdrawn subjects counted as not reached under {treatment}, reached under {control}",
            (reached & ~withdrawn) | (withdrawn & ~in_treatment),
            frame["arm"].to_numpy(),
        ),
    )
    rows = []
    for case, handling, flags, arms in cases:
        n = {a: int((arms == a).sum()) for a in (treatment, control)}
        got = {a: int(flags[arms == a].sum()) for a in (treatment, control)}
        spec = ResultSpec(f"Sensitivity: {case}", "Fisher's exact test", "risk difference", n)
        test = partial(
            compare_proportions,
            flags,
            arms,
            treatment=treatment,
            control=control,
            alternative=alternative,
            level=level,
        )
        result = guarded(spec, test, (handling,))
        rows.append(SensitivityRow(case, handling, got, n, result))
    return tuple(rows)


__all__ = [
    "BEST_CASE",
    "COMPLETE_CASE",
    "WORST_CASE",
    "SensitivityRow",
    "estimand_text",
    "sensitivity",
]
