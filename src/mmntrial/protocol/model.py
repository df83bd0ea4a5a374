"""The protocol as typed, frozen data.

A :class:`Protocol` states a whole IVIg-sparing add-on design: arms and study drug,
eligibility, visit schedule, the baseline IVIg rule, the taper, the deterioration rule,
the endpoints and the randomization. It is built only by :mod:`mmntrial.protocol.loader`,
which validates a TOML file first; code that holds a Protocol may trust it.

The dataclasses state the file format too: each field is declared with
:func:`~mmntrial.protocol.keys.key` (its meaning, range, pattern, default, condition),
and :data:`mmntrial.protocol.schema.ROOT` is generated from them.

Every day is an integer study day (day 0 = randomization). Every dose intensity is in
g/kg/week; taper levels are percentages of the patient's baseline intensity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from mmntrial.measures.catalogue import MEASURES, Worse
from mmntrial.measures.ivig import MAX_INTERVAL_DAYS
from mmntrial.measures.limits import STUDY_DAY_LIMIT
from mmntrial.protocol.keys import key
from mmntrial.protocol.spec import (
    SLUG,
    SLUG_TEXT,
    Kind,
    Spec,
    choice,
    integer,
    number,
    text,
)
from mmntrial.units import DAYS_PER_WEEK


class TaperMode(StrEnum):
    """How the taper lowers the dose intensity, one step at a time."""

    PERCENT_STEP = "percent_step"  # dose falls by step_percent of baseline per step
    LEVELS = "levels"  # dose walks down an explicit list of percentages of baseline
    INTERVAL = "interval"  # dose kept, interval lengthened by interval_step_days per step


class Cadence(StrEnum):
    """When a taper step is due."""

    EVERY_INFUSION = "every_infusion"
    EVERY_N_WEEKS = "every_n_weeks"


class AfterDeterioration(StrEnum):
    """What the taper does once a deterioration is confirmed."""

    RESTORE_AND_STOP = "restore_and_stop"  # back to the last level without deterioration, hold
    RESTORE_AND_RESUME = "restore_and_resume"  # same, then taper again after K stable weeks


class RestoreTo(StrEnum):
    """Where a confirmed deterioration returns the dose."""

    ONE_LEVEL = "one_level"  # one taper level back up
    LAST_STABLE = "last_stable"  # the last level the patient was shown stable at
    BASELINE = "baseline"  # the full baseline regimen


class Reference(StrEnum):
    """The value a deterioration criterion compares the latest assessment with."""

    PRE_TAPER = "pre_taper"  # the last values up to the taper start day (Deterioration)
    BEST_ON_STUDY = "best_on_study"  # best value from day 0 up to the previous assessment


class Statistic(StrEnum):
    """How several assessments make one reference value."""

    MEAN = "mean"
    MEDIAN = "median"


class ConfirmBy(StrEnum):
    """What the repeat assessment of a drop must show to confirm it."""

    REPEAT = "repeat"  # the repeat value itself shows the drop against the reference
    MEAN_OF_TWO = "mean_of_two"  # the mean of the first and the repeat value shows it


class Combine(StrEnum):
    """How several deterioration criteria combine into one verdict."""

    ANY = "any"
    ALL = "all"


class SideRule(StrEnum):
    """For a measure taken per side: which sides must show the drop."""

    EITHER = "either"
    BOTH = "both"


class Unrepeated(StrEnum):
    """What a drop that was never re-assessed within the confirmation window counts as."""

    COUNTS = "counts"  # safety first: treated as confirmed
    DISMISSED = "dismissed"  # treated as not confirmed


class WithdrawalRule(StrEnum):
    """How a withdrawal before the primary endpoint day counts."""

    FAILURE = "failure"  # has not reached the endpoint
    LAST_REGIMEN = "last_regimen"  # judged on the regimen in force at withdrawal


class PrimaryTest(StrEnum):
    """The one test of the primary endpoint named by the analysis plan.

    The percent reduction's rank test is always run beside it, as a supportive analysis
    that makes no claim.
    """

    FISHER = "fisher"  # Fisher's exact test of reached / not reached


class Sidedness(StrEnum):
    """Whether the primary test looks at a difference either way or one way only."""

    TWO_SIDED = "two_sided"
    ONE_SIDED = "one_sided"  # only the study drug better than control counts


class Multiplicity(StrEnum):
    """How the p-values of the secondary endpoints are corrected for their number."""

    HOLM = "holm"  # Holm's step-down adjustment over every secondary endpoint
    HIERARCHY = "hierarchy"  # fixed sequence in the file's order: claims stop at the first miss
    NONE = "none"  # raw p-values, no claim controlled for the family


class AllocationMethod(StrEnum):
    """How subjects are allocated to arms: the protocol's ``randomization.method``.

    The one list of allocation methods; each has its implementation in
    :data:`mmntrial.randomization.methods.METHODS`.
    """

    SIMPLE = "simple"
    BLOCKS = "blocks"
    STRATIFIED_BLOCKS = "stratified_blocks"
    MINIMIZATION = "minimization"


class Imbalance(StrEnum):
    """How minimization measures the imbalance of one factor level across arms."""

    RANGE = "range"
    VARIANCE = "variance"


class EndpointKind(StrEnum):
    """What a secondary endpoint derives."""

    CHANGE = "change"  # the measure at at_day minus at day 0
    TIME_TO_DETERIORATION = "time_to_deterioration"
    IVIG_GRAMS_PER_YEAR = "ivig_grams_per_year"


# The label of a secondary endpoint whose file gives none (a change names its measure).
_KIND_LABELS = {
    EndpointKind.CHANGE: "Change from day 0",
    EndpointKind.TIME_TO_DETERIORATION: "Time to first confirmed deterioration",
    EndpointKind.IVIG_GRAMS_PER_YEAR: "IVIg grams per year on study",
}


class Analysis(StrEnum):
    """The statistical test or model of a secondary endpoint.

    The one list of analyses; each has its implementation in
    :data:`mmntrial.analysis.secondary.ANALYSES`.
    """

    ANCOVA = "ancova"
    MIXED_MODEL = "mixed_model"
    WILCOXON = "wilcoxon"
    MANN_WHITNEY = "mann_whitney"
    LOGRANK = "logrank"
    FISHER = "fisher"


# The Protocol fields the file keeps in its [protocol] table; the others are tables of
# their own, named as the fields.
HEAD_FIELDS = ("name", "title", "version", "description", "sources")
MEASURE_NAMES = tuple(sorted(MEASURES))
# Text of a protocol is printed in terminals and drawn in figures and reports: one line
# of printable characters (no control or invisible format characters, which would rewrite
# a terminal or make a printed label lie), short enough for a legend or a heading.
_UNPRINTABLE = r"\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069"


def _printable_line(longest: int) -> tuple[str, str]:
    """The pattern and its words for one printable line of 1 to ``longest`` characters."""
    pattern = rf"(?=.{{1,{longest}}}$)(?=.*\S)[^{_UNPRINTABLE}]+"
    return pattern, f"one line of at most {longest} printable characters (no control characters)"


_LABEL, _LABEL_TEXT = _printable_line(80)
_TITLE, _TITLE_TEXT = _printable_line(200)
_QUESTION, _QUESTION_TEXT = _printable_line(500)
# Plausibility limits (typing errors, not clinical rules): a dose of a study drug above
# 10 g per administration is beyond any add-on drug's; a regimen or schedule beyond ten
# years of day 0 is beyond any trial's.
MAX_DRUG_DOSE_MG = 10_000.0
MAX_WEEKS = STUDY_DAY_LIMIT // DAYS_PER_WEEK
# No change larger than the widest measure scale can be seen on any measure.
_WIDEST_SCALE = max(spec.maximum - spec.minimum for spec in MEASURES.values())


@dataclass(frozen=True)
class DrugStep:
    """One step of a study-drug regimen, in force from ``from_day`` on.

    Doses are given ``times_per_day`` times on each dosing day; dosing days come every
    ``every_days`` days from ``from_day`` (1 = daily; 14 = an infusion every 2 weeks, as
    for the biologics a future add-on trial may test).
    """

    from_day: int = key("study day the step starts", minimum=0, maximum=STUDY_DAY_LIMIT)
    dose_mg: float = key(
        "dose per administration, mg (0 for placebo)", minimum=0, maximum=MAX_DRUG_DOSE_MG
    )
    times_per_day: int = key("administrations on a dosing day", minimum=1, maximum=24)
    every_days: int = key(
        "dosing days are every this many days (1 = daily, 14 = every 2 weeks)",
        minimum=1,
        maximum=MAX_INTERVAL_DAYS,
        default=1,
        field_default=1,
    )


@dataclass(frozen=True)
class Arm:
    """A treatment arm: the study drug (or placebo) added to IVIg, and its allocation weight."""

    name: str = key("short arm name, unique", pattern=SLUG, pattern_text=SLUG_TEXT)
    label: str = key(
        "label for reports, drawn as text (`$` is a dollar sign, never TeX)",
        pattern=_LABEL,
        pattern_text=_LABEL_TEXT,
    )
    drug: str = key(
        "study drug added to IVIg ('placebo' for placebo)",
        pattern=_LABEL,
        pattern_text=_LABEL_TEXT,
    )
    regimen: tuple[DrugStep, ...] = key(
        "study-drug regimen steps, in increasing from_day, the first on day 0", min_items=1
    )
    ratio: int = key("allocation weight (2 and 1 give 2:1)", minimum=1, maximum=100, default=1)


@dataclass(frozen=True)
class ExclusionItem:
    """One line of the eligibility checklist a site answers at screening."""

    id: str = key("short id, unique", pattern=SLUG, pattern_text=SLUG_TEXT)
    text: str = key(
        "the question as the site reads it", pattern=_QUESTION, pattern_text=_QUESTION_TEXT
    )


@dataclass(frozen=True)
class Eligibility:
    """Who may enter the trial."""

    efns_categories: tuple[str, ...] = key(
        "EFNS/PNS 2010 diagnostic categories admitted",
        item=choice("an EFNS/PNS category", ("definite", "probable", "possible")),
        min_items=1,
    )
    ivig_response_required: bool = key("only patients who responded to IVIg")
    stable_maintenance_months: int = key(
        "months on a stable IVIg regimen before entry", minimum=0, maximum=120
    )
    age_min_years: int = key("minimum age, years", minimum=0, maximum=120)
    age_max_years: int = key("maximum age, years", minimum=0, maximum=120)
    ivig_interval_days_min: int = key(
        "shortest IVIg interval admitted, days", minimum=1, maximum=MAX_INTERVAL_DAYS
    )
    ivig_interval_days_max: int = key(
        "longest IVIg interval admitted, days", minimum=1, maximum=MAX_INTERVAL_DAYS
    )
    exclusions: tuple[ExclusionItem, ...] = key(
        "exclusion checklist answered at screening", default=[]
    )


@dataclass(frozen=True)
class Visit:
    """A scheduled visit: its study day, its window (+/- days) and what it collects."""

    name: str = key("visit name, unique", pattern=r"\S+", pattern_text="a name without spaces")
    day: int = key("study day (day 0 = randomization)", minimum=0, maximum=STUDY_DAY_LIMIT)
    window_days: int = key("allowed distance from the day, +/- days", minimum=0, maximum=365)
    measures: tuple[str, ...] = key(
        "measures collected at the visit (from the measure catalogue)",
        item=choice("a catalogue measure", MEASURE_NAMES),
        min_items=1,
    )


@dataclass(frozen=True)
class Schedule:
    """The visit schedule, visits in increasing study day."""

    visits: tuple[Visit, ...] = key("scheduled visits, in strictly increasing day", min_items=1)

    @property
    def last_day(self) -> int:
        """The study day of the last visit (the end of follow-up)."""
        return self.visits[-1].day

    def collected(self) -> frozenset[str]:
        """Every measure that at least one visit collects."""
        return frozenset(m for visit in self.visits for m in visit.measures)


@dataclass(frozen=True)
class BaselineRule:
    """Baseline intensity = mean intensity of the last ``n_infusions`` pre-randomization ones."""

    n_infusions: int = key(
        "baseline = mean intensity of this many last pre-randomization infusions",
        minimum=1,
        maximum=12,
    )


@dataclass(frozen=True)
class Criterion:
    """One deterioration criterion: the measure moved ``threshold`` or more the worse way.

    ``side`` applies to bilateral measures only (grip per hand) and is ``None`` otherwise.
    The meanings name ``{what}``: the rescue criterion, or the deterioration criterion.
    """

    measure: str = key(
        "the measure {what} watches (from the measure catalogue)", choices=MEASURE_NAMES
    )
    threshold: float = key(
        "the change, in the measure's unit, that counts (drop or rise of at least this)",
        minimum=0,
        maximum=_WIDEST_SCALE,
        min_open=True,
    )
    # The direction that counts as worse; must match the measure's.
    direction: Worse = key("the direction that counts as worse; must be the catalogue's")
    reference: Reference = key("the value the latest assessment is compared with")
    side: SideRule | None = key(
        "which sides must show the drop; required for a measure taken per side (grip), "
        "not allowed for others",
        required=False,
        field_default=None,
    )


@dataclass(frozen=True)
class Rescue:
    """A one-off rescue dose (g/kg) given when any of its severe criteria fires."""

    dose_g_per_kg: float = key("rescue IVIg dose, g/kg", minimum=0, maximum=4, min_open=True)
    criteria: tuple[Criterion, ...] = key(
        "severe criteria; any one fires the rescue",
        min_items=1,
        context={"what": "the rescue criterion"},
    )


def _when_mode(mode: TaperMode) -> tuple[str, tuple[str, ...]]:
    return ("mode", (mode.value,))


@dataclass(frozen=True)
class Taper:
    """How and when the IVIg dose is lowered, and what happens after deterioration."""

    start_day: int = key("study day of the first taper step", minimum=0, maximum=STUDY_DAY_LIMIT)
    mode: TaperMode = key("how a step lowers the intensity")
    cadence: Cadence = key("when a step is due")
    floor_percent: float = key(
        "lowest intensity, percent of baseline", minimum=0, maximum=100, max_open=True
    )
    after_deterioration: AfterDeterioration = key(
        "what the taper does after a confirmed deterioration"
    )
    restore_to: RestoreTo = key(
        "where a confirmed deterioration returns the dose: one level back, the last level "
        "the patient was shown stable at, or the full baseline",
        default=RestoreTo.LAST_STABLE.value,
        field_default=RestoreTo.LAST_STABLE,
    )
    step_percent: float | None = key(
        "percent of baseline removed per step",
        minimum=0,
        maximum=100,
        min_open=True,
        only_when=_when_mode(TaperMode.PERCENT_STEP),
        field_default=None,
    )
    levels_percent: tuple[float, ...] = key(
        "levels to walk down, percent of baseline, strictly decreasing",
        item=number("a level", minimum=0, maximum=100, max_open=True),
        min_items=1,
        only_when=_when_mode(TaperMode.LEVELS),
        field_default=(),
    )  # below 100 and decreasing
    interval_step_days: int | None = key(
        "days added to the infusion interval per step",
        minimum=1,
        maximum=MAX_INTERVAL_DAYS,
        only_when=_when_mode(TaperMode.INTERVAL),
        field_default=None,
    )
    max_interval_days: int | None = key(
        "longest infusion interval the taper may reach, days",
        minimum=1,
        maximum=MAX_INTERVAL_DAYS,
        only_when=_when_mode(TaperMode.INTERVAL),
        field_default=None,
    )
    cadence_weeks: int | None = key(
        "weeks between steps",
        minimum=1,
        maximum=MAX_WEEKS,
        only_when=("cadence", (Cadence.EVERY_N_WEEKS.value,)),
        field_default=None,
    )
    resume_after_weeks: int | None = key(
        "stable weeks after a restore before tapering again",
        minimum=1,
        maximum=MAX_WEEKS,
        only_when=("after_deterioration", (AfterDeterioration.RESTORE_AND_RESUME.value,)),
        field_default=None,
    )
    rescue: Rescue | None = key(
        "a one-off rescue dose when a severe criterion fires", required=False, field_default=None
    )

    def dose_levels_percent(self) -> tuple[float, ...]:
        """Percent-of-baseline levels for the dose-cutting modes, 100 first, floor last.

        The interval mode's levels depend on each patient's baseline interval; the engine
        computes them (see ``engine.levels``).

        >>> t = Taper(91, TaperMode.PERCENT_STEP, Cadence.EVERY_INFUSION, 0.0,
        ...           AfterDeterioration.RESTORE_AND_STOP, step_percent=25.0)
        >>> t.dose_levels_percent()
        (100.0, 75.0, 50.0, 25.0, 0.0)
        """
        if self.mode is TaperMode.PERCENT_STEP:
            assert self.step_percent is not None  # guaranteed by the loader
            levels = [100.0]
            while levels[-1] - self.step_percent > self.floor_percent + 1e-9:
                levels.append(round(levels[-1] - self.step_percent, 9))
            if levels[-1] > self.floor_percent:
                levels.append(self.floor_percent)
            return tuple(levels)
        if self.mode is TaperMode.LEVELS:
            kept = [p for p in self.levels_percent if p >= self.floor_percent - 1e-9]
            return (100.0, *kept)
        return (100.0,)


@dataclass(frozen=True)
class Deterioration:
    """The deterioration rule: criteria, how they combine, and confirmation."""

    criteria: tuple[Criterion, ...] = key(
        "deterioration criteria", min_items=1, context={"what": "the criterion"}
    )
    combine: Combine = key("how criteria combine into one verdict", default=Combine.ANY.value)
    confirmation_days: int = key(
        "days within which a repeat assessment must confirm a drop (0 = none)",
        minimum=0,
        maximum=365,
    )  # 0 = a single assessment decides
    unrepeated: Unrepeated = key(
        "what a drop never re-assessed in the window counts as",
        default=Unrepeated.COUNTS.value,
    )
    confirm_by: ConfirmBy = key(
        "what confirms a drop: the repeat assessment shows it against the reference too, "
        "or the mean of the first and the repeat values does",
        default=ConfirmBy.REPEAT.value,
        field_default=ConfirmBy.REPEAT,
    )
    reference_assessments: int = key(
        "the pre-taper reference of each measure summarizes its last this many assessments "
        "up to the taper start day (fewer if fewer were made)",
        minimum=1,
        maximum=12,
        default=3,
        field_default=3,
    )
    reference_statistic: Statistic = key(
        "how those assessments make the reference",
        default=Statistic.MEAN.value,
        field_default=Statistic.MEAN,
    )
    stable_assessments: int = key(
        "assessments in a row at one dose level, each judging every criterion without a "
        "drop, that show the patient stable at that level",
        minimum=1,
        maximum=52,
        default=2,
        field_default=2,
    )
    renew_reference_after: int = key(
        "after a restore, the pre-taper reference is renewed from the assessments at the "
        "restored dose once this many in a row judge every criterion without a drop "
        "(0 = never renewed)",
        minimum=0,
        maximum=12,
        default=3,
        field_default=3,
    )
    assessed_within_days: int | None = key(
        "a taper step needs every criterion's measure assessed within this many days "
        "before the infusion; left out: assessed since the last step (or, for the first "
        "step, before the taper)",
        minimum=1,
        maximum=365,
        required=False,
        field_default=None,
    )  # otherwise the engine holds: missing data never lowers a dose


@dataclass(frozen=True)
class PrimaryEndpoint:
    """Success = intensity reduced by at least ``reduction_percent`` at ``day``."""

    reduction_percent: float = key(
        "reduction from baseline intensity that counts as success, percent",
        minimum=0,
        maximum=100,
        min_open=True,
    )
    day: int = key("study day the endpoint is judged", minimum=1, maximum=STUDY_DAY_LIMIT)
    withdrawal: WithdrawalRule = key("how a withdrawal before the day counts")
    test: PrimaryTest = key(
        "the one test of the primary endpoint (reached / not reached)",
        default=PrimaryTest.FISHER.value,
        field_default=PrimaryTest.FISHER,
    )
    label: str | None = key(
        "label for reports; left out: 'IVIg dose intensity reduced by at least "
        "<reduction_percent>% at day <day>'",
        pattern=_LABEL,
        pattern_text=_LABEL_TEXT,
        required=False,
        field_default=None,
    )

    def shown_label(self) -> str:
        """The label a reader sees: the file's ``label``, else one made from the rule.

        >>> PrimaryEndpoint(50.0, 365, WithdrawalRule.FAILURE).shown_label()
        'IVIg dose intensity reduced by at least 50% at day 365'
        """
        if self.label is not None:
            return self.label
        return (
            f"IVIg dose intensity reduced by at least {self.reduction_percent:g}% at day {self.day}"
        )


@dataclass(frozen=True)
class SecondaryEndpoint:
    """A secondary endpoint, named for the analysis plan.

    ``kind`` is ``change`` (measure at ``at_day`` minus at day 0),
    ``time_to_deterioration`` or ``ivig_grams_per_year``; ``analysis`` names the test.
    """

    name: str = key("endpoint name, unique", pattern=SLUG, pattern_text=SLUG_TEXT)
    kind: EndpointKind = key("what is derived")
    analysis: Analysis = key("the statistical test or model")
    measure: str | None = key(
        "the measure whose change from day 0 is taken",
        choices=MEASURE_NAMES,
        only_when=("kind", (EndpointKind.CHANGE.value,)),
        field_default=None,
    )
    at_day: int | None = key(
        "the day of the change (a visit that collects the measure)",
        minimum=0,
        maximum=STUDY_DAY_LIMIT,
        only_when=("kind", (EndpointKind.CHANGE.value,)),
        field_default=None,
    )
    label: str | None = key(
        "label for reports; left out: made from kind, measure and at_day (e.g. 'Change "
        "in MRC sum score at day 91')",
        pattern=_LABEL,
        pattern_text=_LABEL_TEXT,
        required=False,
        field_default=None,
    )

    def shown_label(self) -> str:
        """The label a reader sees: the file's ``label``, else one made from the kind.

        >>> SecondaryEndpoint("m3", EndpointKind.CHANGE, Analysis.ANCOVA, "mrc_sum", 91
        ...     ).shown_label()
        'Change in MRC sum score at day 91'
        >>> SecondaryEndpoint("g", EndpointKind.IVIG_GRAMS_PER_YEAR, Analysis.MANN_WHITNEY
        ...     ).shown_label()
        'IVIg grams per year on study'
        """
        if self.label is not None:
            return self.label
        if self.kind is EndpointKind.CHANGE and self.measure is not None:
            return f"Change in {MEASURES[self.measure].label} at day {self.at_day}"
        return _KIND_LABELS[self.kind]


@dataclass(frozen=True)
class Endpoints:
    """The primary endpoint and the secondary ones."""

    primary: PrimaryEndpoint = key(
        "success = intensity reduced by at least reduction_percent at day"
    )
    secondary: tuple[SecondaryEndpoint, ...] = key(
        "secondary endpoints for the analysis plan, in the order of a hierarchy", default=[]
    )
    alpha: float = key(
        "significance level of the primary test and of the secondary family",
        minimum=0,
        maximum=0.2,
        min_open=True,
        default=0.05,
        field_default=0.05,
    )
    sidedness: Sidedness = key(
        "the primary test two-sided, or one-sided for the study drug better than control "
        "(secondary tests are two-sided)",
        default=Sidedness.TWO_SIDED.value,
        field_default=Sidedness.TWO_SIDED,
    )
    multiplicity: Multiplicity = key(
        "how secondary p-values are adjusted: holm, a hierarchy in the listed order "
        "(claims stop at the first non-significant endpoint), or none",
        default=Multiplicity.HOLM.value,
        field_default=Multiplicity.HOLM,
    )


@dataclass(frozen=True)
class Minimization:
    """Pocock-Simon minimization settings."""

    imbalance: Imbalance = key("imbalance measure")
    factor_weights: tuple[tuple[str, float], ...] = key(
        "factor name = weight (> 0), one per minimization factor",
        spec=Spec(
            Kind.MAP,
            "",
            item=number("a factor weight", minimum=0, maximum=100, min_open=True),
            pattern=SLUG,
            pattern_text=SLUG_TEXT,
        ),
        min_items=1,
    )
    p_preferred: float = key(
        "probability of the arm that minimizes imbalance", minimum=0.5, maximum=1, min_open=True
    )


# A block of more than 100 slots no longer balances arms within a site's recruitment.
MAX_BLOCK_SIZE = 100
_BLOCK_METHODS = (AllocationMethod.BLOCKS.value, AllocationMethod.STRATIFIED_BLOCKS.value)


@dataclass(frozen=True)
class Randomization:
    """How subjects are allocated to arms (the allocation ratio is on the arms)."""

    method: AllocationMethod = key("allocation method")
    block_sizes: tuple[int, ...] = key(
        "permuted block sizes, each a multiple of the sum of the arm ratios",
        item=integer("a block size", minimum=1, maximum=MAX_BLOCK_SIZE),
        min_items=1,
        only_when=("method", _BLOCK_METHODS),
        field_default=(),
    )
    strata: tuple[str, ...] = key(
        "stratification factors",
        item=text("a stratification factor", pattern=SLUG, pattern_text=SLUG_TEXT),
        min_items=1,
        only_when=("method", (AllocationMethod.STRATIFIED_BLOCKS.value,)),
        field_default=(),
    )
    minimization: Minimization | None = key(
        "Pocock-Simon minimization",
        only_when=("method", (AllocationMethod.MINIMIZATION.value,)),
        field_default=None,
    )

    @property
    def factors(self) -> tuple[str, ...]:
        """The factors allocation balances on: the strata, or the minimization factors."""
        if self.minimization is not None:
            return tuple(name for name, _ in self.minimization.factor_weights)
        return self.strata


@dataclass(frozen=True)
class MeasureSettings:
    """How the protocol's measures are taken."""

    mrc_muscles: tuple[str, ...] = key(
        "muscle groups scored on each side for the MRC sum",
        item=text("a muscle group", pattern=SLUG, pattern_text=SLUG_TEXT),
        min_items=1,
    )
    mrc_quarter_steps: bool = key("accept 4-/4/4+ as 3.75/4/4.25 rather than 4.0", default=False)
    # "missing" (any missing muscle makes the sum missing) or "impute_last"
    mrc_missing: str = key(
        "a missing muscle makes the sum missing, or the last value is carried",
        choices=("missing", "impute_last"),
        default="missing",
    )
    functional_scale: str = key(
        "the functional (disability) scale", choices=("gnds", "onls", "irods", "mmn_rods")
    )


class RuleKind(StrEnum):
    """What a safety rule watches."""

    LAB_GRADE = "lab_grade"  # a lab's CTCAE v5.0 grade, against the lab's normal range
    LAB_BELOW = "lab_below"  # a lab value below a threshold in a unit
    LAB_RISE = "lab_rise"  # a lab value risen by a percentage over the participant's baseline
    LAB_FALL_AFTER_INFUSION = "lab_fall_after_infusion"  # a fall soon after an IVIg infusion
    AE_TERM = "ae_term"  # an adverse event whose term names one of the rule's words


# The labs a [safety] section may name: those CTCAE v5.0 grades against the normal range
# (mmntrial.safety's ctcae-v5.toml `ranged` rules; a test keeps the two lists equal: the
# protocol layer sits below safety and cannot read that file).
SAFETY_LABS = (
    "neutrophils",
    "wbc",
    "platelets",
    "haemoglobin",
    "alt",
    "ast",
    "bilirubin",
    "creatinine",
)
# The capture app's roles that may own an action item (mmntrial.capture.permissions.Role
# has them; a test keeps them in it). The unblinded roles own none: an action item is
# seen by the site.
OWNER_ROLES = ("investigator", "study_nurse", "data_manager", "monitor")
_SAFETY_LAB = choice("a lab graded by CTCAE v5.0", SAFETY_LABS)
_LAB_KINDS = (
    RuleKind.LAB_BELOW.value,
    RuleKind.LAB_RISE.value,
    RuleKind.LAB_FALL_AFTER_INFUSION.value,
)
_UNIT_KINDS = (RuleKind.LAB_BELOW.value, RuleKind.LAB_FALL_AFTER_INFUSION.value)
# Plausibility limits of the safety section: a lab value threshold above 10,000 in any
# unit, a rise above 1000% or a lab window of more than a month is a typing error.
_MAX_LAB_NUMBER = 10_000.0


def _when_kind(*kinds: str) -> tuple[str, tuple[str, ...]]:
    return ("kind", kinds)


@dataclass(frozen=True)
class SafetyRule:
    """One safety rule: a condition on a participant's data, and the action it asks for.

    Which keys a rule has depends on its ``kind``; the evaluation is
    :func:`mmntrial.safety.rules.evaluate`.
    """

    id: str = key("rule id, unique", pattern=SLUG, pattern_text=SLUG_TEXT)
    kind: RuleKind = key("what the rule watches")
    action: str = key(
        "what the owner must do when the rule fires", pattern=_QUESTION, pattern_text=_QUESTION_TEXT
    )
    owner: str = key("the role that owns the action item", choices=OWNER_ROLES)
    days_to_resolve: int = key(
        "days from the finding to the item's due date", minimum=0, maximum=365
    )
    source: str = key(
        "source tag of the rule (docs/sources.md)",
        pattern=r"S[0-9]+",
        pattern_text="a source tag such as 'S1'",
    )
    labs: tuple[str, ...] = key(
        "labs whose grade the rule watches (each also in safety.graded_labs)",
        item=_SAFETY_LAB,
        min_items=1,
        only_when=_when_kind(RuleKind.LAB_GRADE.value),
        field_default=(),
    )
    min_grade: int | None = key(
        "the rule fires at this CTCAE grade or worse",
        minimum=1,
        maximum=4,
        only_when=_when_kind(RuleKind.LAB_GRADE.value),
        field_default=None,
    )
    lab: str | None = key(
        "the lab the rule watches",
        choices=SAFETY_LABS,
        only_when=_when_kind(*_LAB_KINDS),
        field_default=None,
    )
    unit: str | None = key(
        "the unit of threshold or fall; a value in another unit cannot be evaluated",
        pattern=_LABEL,
        pattern_text=_LABEL_TEXT,
        only_when=_when_kind(*_UNIT_KINDS),
        field_default=None,
    )
    threshold: float | None = key(
        "the rule fires on a value below this, in unit",
        minimum=0,
        maximum=_MAX_LAB_NUMBER,
        min_open=True,
        only_when=_when_kind(RuleKind.LAB_BELOW.value),
        field_default=None,
    )
    rise_percent: float | None = key(
        "the rule fires on a value this many percent or more above the baseline (the last "
        "value on or before the study-drug start)",
        minimum=0,
        maximum=1000,
        min_open=True,
        only_when=_when_kind(RuleKind.LAB_RISE.value),
        field_default=None,
    )
    fall: float | None = key(
        "the rule fires on a fall of at least this, in unit, from the last value on or "
        "before an infusion's day",
        minimum=0,
        maximum=_MAX_LAB_NUMBER,
        min_open=True,
        only_when=_when_kind(RuleKind.LAB_FALL_AFTER_INFUSION.value),
        field_default=None,
    )
    within_days: int | None = key(
        "days after an infusion during which a fall counts",
        minimum=1,
        maximum=365,
        only_when=_when_kind(RuleKind.LAB_FALL_AFTER_INFUSION.value),
        field_default=None,
    )
    terms: tuple[str, ...] = key(
        "words of an adverse event term that fire the rule (case ignored)",
        item=text("a word of an AE term", pattern=_LABEL, pattern_text=_LABEL_TEXT),
        min_items=1,
        only_when=_when_kind(RuleKind.AE_TERM.value),
        field_default=(),
    )


@dataclass(frozen=True)
class LabPhase:
    """A phase of the lab schedule: a sample every ``every_days`` from ``from_day`` on."""

    from_day: int = key(
        "day of the phase's first sample (day 0 = the study-drug start)",
        minimum=0,
        maximum=STUDY_DAY_LIMIT,
    )
    every_days: int = key("days between samples in the phase", minimum=1, maximum=365)


@dataclass(frozen=True)
class LabSchedule:
    """The study drug's lab schedule: when samples are due, from the study-drug start.

    A phase runs from its ``from_day`` up to the next phase's; the last one up to
    ``until_day``. :func:`mmntrial.safety.lab_schedule.due_days` lists the days.
    """

    labs: tuple[str, ...] = key("labs each sample tests", item=_SAFETY_LAB, min_items=1)
    until_day: int = key("the last day a sample may be due", minimum=0, maximum=STUDY_DAY_LIMIT)
    window_days: int = key(
        "a sample this many days either side of its due day counts", minimum=0, maximum=30
    )
    phases: tuple[LabPhase, ...] = key(
        "phases of the schedule, in strictly increasing from_day", min_items=1
    )


@dataclass(frozen=True)
class Safety:
    """Safety monitoring: graded labs, the study drug's lab schedule, the rules."""

    graded_labs: tuple[str, ...] = key(
        "labs whose CTCAE v5.0 grade (against the lab's normal range) the trial watches; "
        "a lab_grade rule names only these",
        item=_SAFETY_LAB,
        default=[],
        field_default=(),
    )
    lab_schedule: LabSchedule | None = key(
        "the study drug's lab schedule", required=False, field_default=None
    )
    rules: tuple[SafetyRule, ...] = key(
        "safety rules, each opening an action item when it fires", default=[], field_default=()
    )


@dataclass(frozen=True)
class Protocol:
    """A whole IVIg-sparing add-on trial design, validated.

    The fields named in :data:`HEAD_FIELDS` are the keys of the file's ``[protocol]``
    table; every other field is a table of the file.
    """

    name: str = key(
        "short name, used on the command line (--protocol NAME)",
        pattern=SLUG,
        pattern_text=SLUG_TEXT,
    )
    title: str = key("one-line title", pattern=_TITLE, pattern_text=_TITLE_TEXT)
    version: str = key(
        "version of this protocol text", pattern=r"\S+", pattern_text="a version without spaces"
    )
    description: str = key("free text: the design in a few sentences", default="")
    sources: tuple[str, ...] = key(
        "source tags the values come from (docs/sources.md)",
        item=text("a source tag", pattern=r"S[0-9]+", pattern_text="a source tag such as 'S1'"),
        default=[],
    )
    arms: tuple[Arm, ...] = key("the treatment arms, one [[arms]] table each", min_items=2)
    eligibility: Eligibility = key("who may enter the trial")
    schedule: Schedule = key("the visit schedule")
    baseline: BaselineRule = key("the baseline IVIg intensity")
    taper: Taper = key("how and when the IVIg dose is lowered")
    deterioration: Deterioration = key("the deterioration rule")
    endpoints: Endpoints = key("the primary and secondary endpoints")
    randomization: Randomization = key("how subjects are allocated (the ratio is on the arms)")
    measures: MeasureSettings = key("how the measures are taken")
    safety: Safety = key(
        "safety monitoring: graded labs, lab schedule, rules (optional)",
        required=False,
        field_default=Safety(),
    )
    origin: str = field(default="", compare=False)  # where it was loaded from


__all__ = [
    "HEAD_FIELDS",
    "MEASURE_NAMES",
    "OWNER_ROLES",
    "SAFETY_LABS",
    "AfterDeterioration",
    "AllocationMethod",
    "Analysis",
    "Arm",
    "BaselineRule",
    "Cadence",
    "Combine",
    "ConfirmBy",
    "Criterion",
    "Deterioration",
    "DrugStep",
    "Eligibility",
    "EndpointKind",
    "Endpoints",
    "ExclusionItem",
    "Imbalance",
    "LabPhase",
    "LabSchedule",
    "MeasureSettings",
    "Minimization",
    "Multiplicity",
    "PrimaryEndpoint",
    "PrimaryTest",
    "Protocol",
    "Randomization",
    "Reference",
    "Rescue",
    "RestoreTo",
    "RuleKind",
    "Safety",
    "SafetyRule",
    "Schedule",
    "SecondaryEndpoint",
    "SideRule",
    "Sidedness",
    "Statistic",
    "Taper",
    "TaperMode",
    "Unrepeated",
    "Visit",
    "WithdrawalRule",
]
