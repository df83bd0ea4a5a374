"""What a reader sees of each test result: the protocol's label and the unit of its numbers.

The analysis plan names its results by the protocol's internal names
(``mrc_sum_change_month3``, ``mrc_sum_monthly``); a reader gets the endpoint's label
from the protocol (:meth:`~mmntrial.protocol.model.SecondaryEndpoint.shown_label`) and
every estimate in its unit (:class:`~mmntrial.analysis.result.Unit`): a risk difference
in percentage points, grams whole, a hazard ratio with two decimals, a change on the
measure's own scale. The HTML report, ``results.json`` and the terminal table all take
labels and units from here, so they cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from mmntrial.analysis.plan import MIXED_MODEL_MEASURES, PlanResults
from mmntrial.analysis.result import (
    GRAMS,
    PERCENTAGE_POINTS,
    RATIO,
    RISK_DIFFERENCE,
    TestResult,
    Unit,
    measure_unit,
)
from mmntrial.measures.catalogue import MEASURES
from mmntrial.protocol.model import EndpointKind, Protocol, SecondaryEndpoint

# How the screening log names a failed exclusion criterion (the simulator and a site
# alike write "exclusion: <id of the protocol's checklist item>").
_EXCLUSION = re.compile(r"exclusion: ([a-z0-9_.-]+)")
# A source tag at the end of a checklist question ("... [S47]"): a citation for the
# protocol's author, not part of the reason a reader needs.
_SOURCE_TAGS = re.compile(r"\s*\[S\d+(?:[,;] ?S\d+)*\]\s*$")


@dataclass(frozen=True)
class Shown:
    """One test result as the reader sees it: its label and the unit of its estimate."""

    result: TestResult
    label: str
    unit: Unit

    def estimate(self) -> str:
        """``risk difference, mmf - placebo: 7.1 percentage points``."""
        return f"{self.result.estimate_label}: {self.unit.format(self.result.estimate)}"

    def interval(self) -> str:
        """``95% CI -19.3 to 33.5 percentage points``."""
        result = self.result
        return f"{result.level_percent} CI {self.unit.interval(result.ci_low, result.ci_high)}"


def measure_label(measure: str) -> str:
    """A measure's name for a reader, capitalised as a table row starts.

    >>> measure_label("grip_kpa"), measure_label("mrc_sum")
    ('Grip strength', 'MRC sum score')
    """
    label = MEASURES[measure].label
    return label[:1].upper() + label[1:]


# A catalogue measure name as a word of a note ("change in mrc_sum from day 0"); the
# longest first, so that no name is replaced inside a longer one.
_MEASURE_NAMES = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, MEASURES), key=len, reverse=True)) + r")\b"
)


def in_words(text: str) -> str:
    """``text`` (an analysis note) with each measure's internal name replaced by its label.

    >>> in_words("change in mrc_sum from day 0 to day 91")
    'change in MRC sum score from day 0 to day 91'
    """
    return _MEASURE_NAMES.sub(lambda found: MEASURES[found.group(1)].label, text)


def _secondary_unit(endpoint: SecondaryEndpoint) -> Unit:
    if endpoint.kind is EndpointKind.TIME_TO_DETERIORATION:
        return RATIO
    if endpoint.kind is EndpointKind.IVIG_GRAMS_PER_YEAR:
        return GRAMS
    assert endpoint.measure is not None  # a change names its measure (the loader checks)
    return measure_unit(MEASURES[endpoint.measure].unit)


def _mixed_label(measure: str) -> str:
    side = " (more affected hand)" if MEASURES[measure].bilateral else ""
    return f"{measure_label(measure)}{side}, change per month"


@dataclass(frozen=True)
class ShownPlan:
    """Every result of the plan as shown, by section (in the plan's order within each)."""

    primary: Shown
    supportive: Shown
    secondary: tuple[Shown, ...]
    sensitivity: tuple[Shown, ...]
    mixed_models: tuple[Shown, ...]


def shown_results(plan: PlanResults, protocol: Protocol) -> ShownPlan:
    """Every result of the plan with its label and unit.

    >>> from tests.dataset.factory import make_dataset
    >>> from mmntrial.analysis.plan import run_plan
    >>> from mmntrial.protocol.loader import load_protocol
    >>> protocol = load_protocol("piepers-2007")
    >>> shown = shown_results(run_plan(make_dataset(), protocol), protocol)
    >>> shown.primary.estimate()
    'risk difference, mmf - placebo: -33.3 percentage points'
    >>> shown.secondary[0].label, shown.mixed_models[0].label
    ('MRC sum score, change at month 3', 'MRC sum score, change per month')
    """
    endpoints = protocol.endpoints
    primary_label = endpoints.primary.shown_label()
    return ShownPlan(
        primary=Shown(plan.primary, primary_label, RISK_DIFFERENCE),
        supportive=Shown(plan.percent_reduction, plan.percent_reduction.name, PERCENTAGE_POINTS),
        secondary=tuple(
            Shown(result, endpoint.shown_label(), _secondary_unit(endpoint))
            for result, endpoint in zip(plan.secondary, endpoints.secondary, strict=True)
        ),
        sensitivity=tuple(
            Shown(row.result, f"{primary_label}: {row.case}", RISK_DIFFERENCE)
            for row in plan.sensitivity
        ),
        mixed_models=tuple(
            Shown(result, _mixed_label(m), measure_unit(MEASURES[m].unit, per="month"))
            for result, m in zip(plan.mixed_models, MIXED_MODEL_MEASURES, strict=True)
        ),
    )


def screening_reason(reason: str, protocol: Protocol) -> str:
    """A screening or withdrawal reason in the protocol's words.

    ``exclusion: <id>`` becomes the text of that checklist item (its source tags left
    off); any other reason is kept.

    >>> from mmntrial.protocol.loader import load_protocol
    >>> piepers = load_protocol("piepers-2007")
    >>> screening_reason("not eligible: exclusion: active_infection", piepers)
    'not eligible: Active serious infection, hepatitis B or C'
    >>> screening_reason("declined to participate: declined", piepers)
    'declined to participate: declined'
    """
    texts: Mapping[str, str] = {
        item.id: _SOURCE_TAGS.sub("", item.text) for item in protocol.eligibility.exclusions
    }

    def text(found: re.Match[str]) -> str:
        return texts.get(found.group(1), found.group(0))

    return _EXCLUSION.sub(text, reason)


__all__ = ["Shown", "ShownPlan", "in_words", "measure_label", "screening_reason", "shown_results"]
