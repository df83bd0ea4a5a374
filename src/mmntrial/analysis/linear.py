"""Linear models: ANCOVA on baseline, and a random-intercept mixed model over months.

ANCOVA fits ``change = b0 + effect * treated + b2 * baseline`` by least squares. With the
baseline as a covariate, the treatment effect on the change and on the follow-up value
are the same number, so the choice of outcome never changes the answer.

The mixed model fits every monthly value of every subject::

    value = b0 + b1 * treated + b2 * month + effect * treated * month + u_subject + e

with a normal random intercept ``u_subject`` (REML). Month is linear: with 12 monthly
values and a taper that lowers the dose steadily, the question is whether strength
declines faster on one arm, and one slope difference answers it with one degree of
freedom. The reported effect is the arm x month interaction (difference in change per
month, treatment - control); ``interaction=False`` drops it and reports the arm effect
(a constant difference over the months) instead. Month 0 (the baseline value) is one
of the observations; randomisation, not the model, makes the arms equal there.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats
from statsmodels.regression.linear_model import OLS
from statsmodels.regression.mixed_linear_model import MixedLM
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from mmntrial.analysis._fitnotes import call_noting
from mmntrial.analysis._validate import check_arms, check_level, float_array, label_array
from mmntrial.analysis.result import TestResult
from mmntrial.errors import AnalysisError, ModelFitError


def _check_lengths(**arrays: NDArray[np.generic]) -> int:
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) != 1:
        raise AnalysisError(f"got arrays of different lengths {lengths}, expected one per row")
    return next(iter(lengths.values()))


def _check_full_rank(design: NDArray[np.float64], columns: list[str], what: str) -> None:
    if np.linalg.matrix_rank(design) < design.shape[1]:
        raise ModelFitError(
            f"{what}: the design {columns} is singular (a constant baseline, or a column "
            "that repeats another); expected varying covariates"
        )


def ancova(
    followup: ArrayLike,
    baseline: ArrayLike,
    arm: ArrayLike,
    *,
    treatment: str,
    control: str,
    name: str = "ANCOVA",
    level: float = 0.95,
) -> TestResult:
    """Treatment effect on the change from baseline, adjusted for the baseline value.

    >>> r = ancova(
    ...     [52.0, 60.0, 49.0, 58.0, 45.0, 50.0, 41.0, 47.0],
    ...     [50.0, 55.0, 48.0, 54.0, 47.0, 51.0, 44.0, 49.0],
    ...     ["MMF"] * 4 + ["placebo"] * 4,
    ...     treatment="MMF",
    ...     control="placebo",
    ...     name="Grip at month 3 (kPa)",
    ... )
    >>> round(r.estimate, 3), r.test
    (3.319, 'ANCOVA on baseline (t-test)')
    """
    level = check_level(level)
    after = float_array("followup", followup)
    before = float_array("baseline", baseline)
    count = _check_lengths(followup=after, baseline=before)
    labels = label_array("arm", arm, count)
    check_arms("arm", labels, (treatment, control))
    if count < 4:
        raise AnalysisError(
            f"followup: got {count} subjects, expected at least 4 (three coefficients and "
            "one residual degree of freedom)"
        )
    treated = (labels == treatment).astype(np.float64)
    design = np.column_stack([np.ones(count), treated, before])
    _check_full_rank(design, ["intercept", "treated", "baseline"], "ancova")
    fit = OLS(after - before, design).fit()
    estimate = float(fit.params[1])
    low, high = (float(v) for v in fit.conf_int(alpha=1 - level)[1])
    return TestResult(
        name=name,
        test="ANCOVA on baseline (t-test)",
        estimate=estimate,
        estimate_label=f"adjusted mean difference in change, {treatment} - {control}",
        ci_low=low,
        ci_high=high,
        ci_level=level,
        p_value=float(fit.pvalues[1]),
        n_per_arm={treatment: int(treated.sum()), control: int(count - treated.sum())},
        interval_method="t",
        notes=(
            f"baseline coefficient {float(fit.params[2]):.3f}; residual df {int(fit.df_resid)}",
        ),
    )


def _subject_arms(subjects: NDArray[np.object_], labels: NDArray[np.object_]) -> dict[object, str]:
    arms: dict[object, str] = {}
    for subject, label in zip(subjects, labels, strict=True):
        if arms.setdefault(subject, str(label)) != label:
            raise AnalysisError(
                f"arm: subject {subject!r} got arms {arms[subject]!r} and {label!r}, "
                "expected one arm per subject"
            )
    return arms


def mixed_model(
    value: ArrayLike,
    month: ArrayLike,
    subject: ArrayLike,
    arm: ArrayLike,
    *,
    treatment: str,
    control: str,
    interaction: bool = True,
    name: str = "Linear mixed model",
    level: float = 0.95,
) -> TestResult:
    """Random-intercept model of all monthly values; see the module docstring.

    >>> rng = np.random.default_rng(7)
    >>> subjects = np.repeat(np.arange(20), 4)
    >>> months = np.tile([0.0, 1.0, 2.0, 3.0], 20)
    >>> arms = np.where(subjects < 10, "MMF", "placebo")
    >>> slope = np.where(arms == "MMF", 0.0, -1.0)
    >>> values = 80 + rng.normal(0, 3, 20)[subjects] + slope * months + rng.normal(0, 1, 80)
    >>> r = mixed_model(values, months, subjects, arms, treatment="MMF", control="placebo")
    >>> r.ci_low < 1.0 < r.ci_high, dict(r.n_per_arm)
    (True, {'MMF': 10, 'placebo': 10})
    """
    level = check_level(level)
    values = float_array("value", value)
    months = float_array("month", month)
    subjects = np.asarray(subject, dtype=object)
    count = _check_lengths(value=values, month=months, subject=subjects)
    labels = label_array("arm", arm, count)
    check_arms("arm", labels, (treatment, control))
    per_subject = _subject_arms(subjects, labels)
    n_per_arm = {a: sum(1 for v in per_subject.values() if v == a) for a in (treatment, control)}
    for label, n in n_per_arm.items():
        if n < 2:
            raise AnalysisError(f"subject: arm {label!r} has {n} subject(s), expected at least 2")
    if len(np.unique(months)) < 2:
        raise AnalysisError(
            f"month: got a single month {months[0]:g}, expected values at two months or more"
        )
    treated = (labels == treatment).astype(np.float64)
    columns = ["intercept", "treated", "month"]
    design = [np.ones(count), treated, months]
    if interaction:
        columns.append("treated x month")
        design.append(treated * months)
    exog = np.column_stack(design)
    _check_full_rank(exog, columns, "mixed_model")
    # Integer group codes: MixedLM sorts groups, and mixed label types would not sort.
    _, groups = np.unique(subjects.astype(str), return_inverse=True)
    model = MixedLM(values, exog, groups=groups)
    try:
        # A ConvergenceWarning becomes a note: a random-intercept variance on the boundary
        # (zero) is a valid REML estimate, and the note lets the reader judge it.
        fit, fit_warnings = call_noting(lambda: model.fit(reml=True), ConvergenceWarning)
    except np.linalg.LinAlgError as exc:
        raise ModelFitError(f"mixed_model: the fit failed ({exc})") from exc
    index = len(columns) - 1 if interaction else 1
    estimate = float(fit.fe_params[index])
    se = float(fit.bse_fe[index])
    if not math.isfinite(se):
        raise ModelFitError(
            "mixed_model: the standard error of the effect is not finite; expected a fit "
            "with more subjects or more months per subject"
        )
    z = float(stats.norm.ppf(0.5 + level / 2))
    p_value = float(2 * stats.norm.sf(abs(estimate / se)))
    notes = [
        f"{len(per_subject)} subjects, {count} observations; REML; Wald z interval",
        f"random-intercept SD {math.sqrt(max(float(np.asarray(fit.cov_re)[0, 0]), 0.0)):.3f}, "
        f"residual SD {math.sqrt(float(fit.scale)):.3f}",
    ]
    notes.extend(f"fit warning: {message}" for message in fit_warnings)
    label = (
        f"difference in change per month, {treatment} - {control}"
        if interaction
        else f"difference in mean level, {treatment} - {control}"
    )
    return TestResult(
        name=name,
        test="linear mixed model, random intercept (Wald z-test)",
        estimate=estimate,
        estimate_label=label,
        ci_low=estimate - z * se,
        ci_high=estimate + z * se,
        ci_level=level,
        p_value=p_value,
        n_per_arm=n_per_arm,
        interval_method="Wald",
        notes=tuple(notes),
    )


__all__ = ["ancova", "mixed_model"]
