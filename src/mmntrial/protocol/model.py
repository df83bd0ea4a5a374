"""The protocol as typed, frozen data.

A :class:`Protocol` states a whole IVIg-sparing add-on design: arms and study drug,
eligibility, visit schedule, the baseline IVIg rule, the taper, the deterioration rule,
the endpoints and the randomization. It is built only by :mod:`mmntrial.protocol.loader`,
which validates a TOML file first; code that holds a Protocol may trust it.

Every day is an integer study day (day 0 = randomization). Every dose intensity is in
g/kg/week; taper levels are percentages of the patient's baseline intensity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from mmntrial.measures.catalogue import Worse


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


class Reference(StrEnum):
    """The value a deterioration criterion compares the latest assessment with."""

    PRE_TAPER = "pre_taper"  # last value on or before the taper start day
    BEST_ON_STUDY = "best_on_study"  # best value from day 0 up to the previous assessment


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


@dataclass(frozen=True)
class DrugStep:
    """One step of a study-drug regimen, in force from ``from_day`` on.

    Doses are given ``times_per_day`` times on each dosing day; dosing days come every
    ``every_days`` days from ``from_day`` (1 = daily; 14 = an infusion every 2 weeks, as
    for the biologics a future add-on trial may test).
    """

    from_day: int
    dose_mg: float
    times_per_day: int
    every_days: int = 1


@dataclass(frozen=True)
class Arm:
    """A treatment arm: the study drug (or placebo) added to IVIg, and its allocation weight."""

    name: str
    label: str
    drug: str
    regimen: tuple[DrugStep, ...]
    ratio: int


@dataclass(frozen=True)
class ExclusionItem:
    """One line of the eligibility checklist a site answers at screening."""

    id: str
    text: str


@dataclass(frozen=True)
class Eligibility:
    """Who may enter the trial."""

    efns_categories: tuple[str, ...]
    ivig_response_required: bool
    stable_maintenance_months: int
    age_min_years: int
    age_max_years: int
    ivig_interval_days_min: int
    ivig_interval_days_max: int
    exclusions: tuple[ExclusionItem, ...]


@dataclass(frozen=True)
class Visit:
    """A scheduled visit: its study day, its window (+/- days) and what it collects."""

    name: str
    day: int
    window_days: int
    measures: tuple[str, ...]


@dataclass(frozen=True)
class Schedule:
    """The visit schedule, visits in increasing study day."""

    visits: tuple[Visit, ...]

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

    n_infusions: int


@dataclass(frozen=True)
class Criterion:
    """One deterioration criterion: the measure moved ``threshold`` or more the worse way.

    ``side`` applies to bilateral measures only (grip per hand) and is ``None`` otherwise.
    """

    measure: str
    threshold: float
    direction: Worse  # the direction that counts as worse; must match the measure's
    reference: Reference
    side: SideRule | None = None


@dataclass(frozen=True)
class Rescue:
    """A one-off rescue dose (g/kg) given when any of its severe criteria fires."""

    dose_g_per_kg: float
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Taper:
    """How and when the IVIg dose is lowered, and what happens after deterioration."""

    start_day: int
    mode: TaperMode
    cadence: Cadence
    floor_percent: float
    after_deterioration: AfterDeterioration
    step_percent: float | None = None  # percent_step mode
    levels_percent: tuple[float, ...] = ()  # levels mode, below 100 and decreasing
    interval_step_days: int | None = None  # interval mode
    max_interval_days: int | None = None  # interval mode
    cadence_weeks: int | None = None  # every_n_weeks cadence
    resume_after_weeks: int | None = None  # restore_and_resume
    rescue: Rescue | None = None

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

    criteria: tuple[Criterion, ...]
    combine: Combine
    confirmation_days: int  # 0 = a single assessment decides
    unrepeated: Unrepeated


@dataclass(frozen=True)
class PrimaryEndpoint:
    """Success = intensity reduced by at least ``reduction_percent`` at ``day``."""

    reduction_percent: float
    day: int
    withdrawal: WithdrawalRule


@dataclass(frozen=True)
class SecondaryEndpoint:
    """A secondary endpoint, named for the analysis plan.

    ``kind`` is ``change`` (measure at ``at_day`` minus at day 0),
    ``time_to_deterioration`` or ``ivig_grams_per_year``; ``analysis`` names the test.
    """

    name: str
    kind: str
    analysis: str
    measure: str | None = None
    at_day: int | None = None


@dataclass(frozen=True)
class Endpoints:
    """The primary endpoint and the secondary ones."""

    primary: PrimaryEndpoint
    secondary: tuple[SecondaryEndpoint, ...]


@dataclass(frozen=True)
class Minimization:
    """Pocock-Simon minimization settings."""

    imbalance: str  # "range" or "variance"
    factor_weights: tuple[tuple[str, float], ...]
    p_preferred: float


@dataclass(frozen=True)
class Randomization:
    """How subjects are allocated to arms (the allocation ratio is on the arms)."""

    method: str  # "simple", "blocks", "stratified_blocks" or "minimization"
    block_sizes: tuple[int, ...] = ()
    strata: tuple[str, ...] = ()
    minimization: Minimization | None = None


@dataclass(frozen=True)
class MeasureSettings:
    """How the protocol's measures are taken."""

    mrc_muscles: tuple[str, ...]  # muscle groups scored on each side
    mrc_quarter_steps: bool  # accept 4-/4/4+ as 3.75/4/4.25 rather than 4.0
    mrc_missing: str  # "missing" (any missing muscle makes the sum missing) or "impute_last"
    functional_scale: str


@dataclass(frozen=True)
class Protocol:
    """A whole IVIg-sparing add-on trial design, validated."""

    name: str
    title: str
    version: str
    description: str
    sources: tuple[str, ...]
    arms: tuple[Arm, ...]
    eligibility: Eligibility
    schedule: Schedule
    baseline: BaselineRule
    taper: Taper
    deterioration: Deterioration
    endpoints: Endpoints
    randomization: Randomization
    measures: MeasureSettings
    origin: str = field(default="", compare=False)  # where it was loaded from


__all__ = [
    "AfterDeterioration",
    "Arm",
    "BaselineRule",
    "Cadence",
    "Combine",
    "Criterion",
    "Deterioration",
    "DrugStep",
    "Eligibility",
    "Endpoints",
    "ExclusionItem",
    "MeasureSettings",
    "Minimization",
    "PrimaryEndpoint",
    "Protocol",
    "Randomization",
    "Reference",
    "Rescue",
    "Schedule",
    "SecondaryEndpoint",
    "SideRule",
    "Taper",
    "TaperMode",
    "Unrepeated",
    "Visit",
    "WithdrawalRule",
]
