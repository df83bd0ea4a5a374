"""The one result object every statistical test returns.

A :class:`TestResult` holds each number the report shows, already computed: the report
formats it as text, a DataFrame or HTML and never recomputes anything.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

from mmntrial.errors import AnalysisError


def format_number(value: float, digits: int = 3) -> str:
    """A number for a table: fixed decimals, ``NA`` for NaN, ``inf`` spelled out.

    >>> format_number(0.052431), format_number(float("nan")), format_number(float("-inf"))
    ('0.052', 'NA', '-inf')
    """
    if math.isnan(value):
        return "NA"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.{digits}f}"


@dataclass(frozen=True)
class Unit:
    """How a number of one kind is printed: its decimals, a scale and the word after it.

    The report, its tables, ``results.json`` and the terminal print every estimate and
    interval through a Unit, so one kind of number has one number of decimals everywhere:
    percentages one decimal, grams whole, a risk difference as a difference of
    percentages in percentage points.

    >>> RISK_DIFFERENCE.format(0.4642), GRAMS.format(-233.597), PERCENT.format(50)
    ('46.4 percentage points', '-234 g', '50.0%')
    >>> RISK_DIFFERENCE.format(-0.0001, suffix=False), RATIO.format(float("nan"))
    ('0.0', 'NA')
    """

    suffix: str
    decimals: int
    scale: float = 1.0  # a proportion is printed as a percentage: scale 100

    def value(self, value: float) -> float:
        """``value`` scaled and rounded as printed (a plain number for results.json)."""
        if math.isnan(value) or math.isinf(value):
            return value
        rounded = round(value * self.scale, self.decimals)
        return 0.0 if rounded == 0 else rounded  # never "-0.0"

    def format(self, value: float, *, suffix: bool = True) -> str:
        """``value`` as text with this unit's decimals (and its word unless ``suffix``
        is False, as for the second end of an interval); ``NA`` for NaN."""
        shown = self.value(value)
        if math.isnan(shown) or math.isinf(shown):
            return format_number(shown)
        text = f"{shown:.{self.decimals}f}"
        if not suffix or not self.suffix:
            return text
        return f"{text}{self.suffix}" if self.suffix == "%" else f"{text} {self.suffix}"

    def interval(self, low: float, high: float) -> str:
        """An interval in this unit: ``-19.3 to 33.5 percentage points``."""
        return f"{self.format(low, suffix=False)} to {self.format(high)}"


PERCENT = Unit("%", 1)
# A difference of two proportions, printed as the difference of the percentages.
RISK_DIFFERENCE = Unit("percentage points", 1, 100.0)
# A difference of two percentages (a shift of the percent reduction).
PERCENTAGE_POINTS = Unit("percentage points", 1)
GRAMS = Unit("g", 0)
RATIO = Unit("", 2)  # a hazard ratio
# A difference on a measure's scale (points, kPa, grade, log2 steps): two decimals.
MEASURE_DECIMALS = 2


def measure_unit(unit: str, *, per: str = "") -> Unit:
    """The Unit of a difference on a measure's scale, ``unit`` as the catalogue names it.

    >>> measure_unit("log2_steps").format(-0.5), measure_unit("points", per="month").format(0.108)
    ('-0.50 log2 steps', '0.11 points per month')
    """
    words = unit.replace("_", " ")
    return Unit(f"{words} per {per}" if per else words, MEASURE_DECIMALS)


def p_phrase(p_value: float) -> str:
    """``p = 0.486`` or ``p < 0.0001``, as a sentence writes it.

    >>> p_phrase(0.48571), p_phrase(1e-6)
    ('p = 0.486', 'p < 0.0001')
    """
    text = format_p(p_value)
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"


def format_p(p_value: float) -> str:
    """A p-value as trial reports print it: three significant digits, floor ``<0.0001``.

    >>> format_p(0.48571), format_p(4.17e-05), format_p(float("nan"))
    ('0.486', '<0.0001', 'NA')
    """
    if math.isnan(p_value):
        return "NA"
    if p_value < 1e-4:
        return "<0.0001"
    return f"{p_value:.3g}"


@dataclass(frozen=True)
class TestResult:
    """Estimate, interval, p-value, test name and n per arm of one analysis.

    ``notes`` carries what a reader needs to judge the number (the exact or asymptotic
    variant used, the achieved confidence level, a model that reached a boundary).

    >>> r = TestResult(
    ...     name="Primary endpoint",
    ...     test="Fisher's exact test (two-sided)",
    ...     estimate=0.2,
    ...     estimate_label="risk difference, MMF - placebo",
    ...     ci_low=0.0524,
    ...     ci_high=0.3339,
    ...     ci_level=0.95,
    ...     p_value=0.01252,
    ...     n_per_arm={"MMF": 70, "placebo": 80},
    ...     interval_method="Newcombe hybrid score",
    ... )
    >>> print(r.summary())
    Primary endpoint: risk difference, MMF - placebo 0.200
    (95% CI 0.052 to 0.334, Newcombe hybrid score);
    Fisher's exact test (two-sided) p = 0.0125; n MMF 70, placebo 80
    >>> r.to_frame().loc[0, "n[placebo]"]
    np.int64(80)
    """

    # Not a pytest test class, although its name starts with "Test".
    __test__ = False

    name: str
    test: str
    estimate: float
    estimate_label: str
    ci_low: float
    ci_high: float
    ci_level: float
    p_value: float
    n_per_arm: Mapping[str, int]
    interval_method: str = ""
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not 0.0 < self.ci_level < 1.0:
            raise AnalysisError(
                f"ci_level: got {self.ci_level!r}, expected a level strictly between 0 and 1"
            )
        if not (math.isnan(self.p_value) or 0.0 <= self.p_value <= 1.0):
            raise AnalysisError(f"p_value: got {self.p_value!r}, expected a value in [0, 1]")
        # A frozen result must not change when the caller mutates the dict it passed in.
        object.__setattr__(self, "n_per_arm", MappingProxyType(dict(self.n_per_arm)))
        object.__setattr__(self, "notes", tuple(self.notes))

    @property
    def level_percent(self) -> str:
        """The confidence level as a label, for example ``95%``."""
        return f"{self.ci_level * 100:g}%"

    def interval_text(self) -> str:
        """The interval as printed in the summary, for example ``95% CI 0.052 to 0.334``."""
        text = (
            f"{self.level_percent} CI {format_number(self.ci_low)} to {format_number(self.ci_high)}"
        )
        return f"{text}, {self.interval_method}" if self.interval_method else text

    def summary(self) -> str:
        """One line of plain text with every number of the result."""
        arms = ", ".join(f"{arm} {n}" for arm, n in self.n_per_arm.items())
        line = (
            f"{self.name}: {self.estimate_label} {format_number(self.estimate)} "
            f"({self.interval_text()}); {self.test} {p_phrase(self.p_value)}; n {arms}"
        )
        if self.notes:
            line += "\n" + "\n".join(f"  note: {note}" for note in self.notes)
        return line

    def to_frame(self) -> pd.DataFrame:
        """One row with one column per field; arm sizes in columns ``n[<arm>]``."""
        row: dict[str, object] = {
            "name": self.name,
            "test": self.test,
            "estimate_label": self.estimate_label,
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "ci_level": self.ci_level,
            "interval_method": self.interval_method,
            "p_value": self.p_value,
        }
        row.update({f"n[{arm}]": n for arm, n in self.n_per_arm.items()})
        row["notes"] = "; ".join(self.notes)
        return pd.DataFrame([row])

    def to_html(self) -> str:
        """A small HTML table; every text field is escaped."""
        e = html.escape
        arms = ", ".join(f"{e(arm)} {n}" for arm, n in self.n_per_arm.items())
        rows = [
            ("Test", e(self.test)),
            (e(self.estimate_label), e(format_number(self.estimate))),
            ("Interval", e(self.interval_text())),
            ("p-value", e(format_p(self.p_value))),
            ("n per arm", arms),
        ]
        rows.extend(("Note", e(note)) for note in self.notes)
        body = "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in rows)
        return (
            f'<table class="test-result"><caption>{e(self.name)}</caption>'
            f"<tbody>{body}</tbody></table>"
        )


__all__ = [
    "GRAMS",
    "MEASURE_DECIMALS",
    "PERCENT",
    "PERCENTAGE_POINTS",
    "RATIO",
    "RISK_DIFFERENCE",
    "TestResult",
    "Unit",
    "format_number",
    "format_p",
    "measure_unit",
    "p_phrase",
]
