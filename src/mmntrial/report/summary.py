"""The protocol summary of the report: the design in a few labelled lines and an arms table.

Everything comes from the loaded :class:`~mmntrial.protocol.model.Protocol`, so the
report states the rules the data were analysed under, not the rules someone remembers.
"""

from __future__ import annotations

from dataclasses import dataclass

from mmntrial.measures.catalogue import MEASURES
from mmntrial.protocol.model import (
    Analysis,
    Arm,
    Criterion,
    DrugStep,
    Protocol,
    RestoreTo,
    SecondaryEndpoint,
    Taper,
    TaperMode,
)


@dataclass(frozen=True)
class ArmRow:
    """One row of the arms table."""

    name: str
    label: str
    drug: str
    regimen: str
    ratio: int


@dataclass(frozen=True)
class ProtocolSummary:
    """What the report prints about the protocol: header, arms, and labelled design lines."""

    name: str
    title: str
    version: str
    description: str
    sources: tuple[str, ...]
    arms: tuple[ArmRow, ...]
    design: tuple[tuple[str, str], ...]  # (label, text)


def _words(value: str) -> str:
    """An enum value as words: ``restore_and_stop`` reads ``restore and stop``."""
    return value.replace("_", " ")


def _g(value: float) -> str:
    return f"{value:g}"


def _step(step: DrugStep) -> str:
    every = "daily" if step.every_days == 1 else f"every {step.every_days} days"
    return f"from day {step.from_day}: {_g(step.dose_mg)} mg × {step.times_per_day}, {every}"


def _arm(arm: Arm) -> ArmRow:
    return ArmRow(
        arm.name, arm.label, arm.drug, "; ".join(_step(s) for s in arm.regimen), arm.ratio
    )


def _criterion(criterion: Criterion) -> str:
    side = f" ({criterion.side.value} side)" if criterion.side else ""
    reference = criterion.reference.value.replace("_", "-")
    spec = MEASURES[criterion.measure]
    return (
        f"{spec.label}{side} {criterion.direction.value} by ≥ {_g(criterion.threshold)} "
        f"{spec.unit.replace('_', ' ')} "
        f"from the {reference} reference"
    )


_RESTORE_TO = {
    RestoreTo.ONE_LEVEL: "one level up",
    RestoreTo.LAST_STABLE: "the last dose shown stable",
    RestoreTo.BASELINE: "the full baseline dose",
}


def _taper(taper: Taper) -> str:
    if taper.mode is TaperMode.PERCENT_STEP:
        how = f"steps of {_g(taper.step_percent or 0.0)}% of baseline"
    elif taper.mode is TaperMode.LEVELS:
        how = "levels " + ", ".join(f"{_g(p)}%" for p in taper.levels_percent) + " of baseline"
    else:
        how = (
            f"interval lengthened by {taper.interval_step_days} days per step, "
            f"up to {taper.max_interval_days} days"
        )
    cadence = (
        "at every infusion"
        if taper.cadence.value == "every_infusion"
        else f"every {taper.cadence_weeks} weeks"
    )
    text = (
        f"from day {taper.start_day}, {how}, {cadence}; floor {_g(taper.floor_percent)}% of "
        f"baseline; after a confirmed deterioration: {_words(taper.after_deterioration.value)}"
        f", back to {_RESTORE_TO[taper.restore_to]}"
    )
    if taper.resume_after_weeks is not None:
        text += f" (resume after {taper.resume_after_weeks} stable weeks)"
    if taper.rescue is not None:
        text += f"; rescue dose {_g(taper.rescue.dose_g_per_kg)} g/kg"
    return text


# The analyses in the words of a methods section.
_ANALYSES = {
    Analysis.ANCOVA: "ANCOVA on the baseline value",
    Analysis.MIXED_MODEL: "mixed model",
    Analysis.WILCOXON: "Wilcoxon rank-sum test",
    Analysis.MANN_WHITNEY: "Mann-Whitney U test",
    Analysis.LOGRANK: "log-rank test",
    Analysis.FISHER: "Fisher's exact test",
}


def _secondary(endpoint: SecondaryEndpoint) -> str:
    return f"{endpoint.shown_label()} ({_ANALYSES[endpoint.analysis]})"


def protocol_summary(protocol: Protocol) -> ProtocolSummary:
    """The design of ``protocol`` as the report prints it.

    >>> from mmntrial.protocol.loader import load_protocol
    >>> summary = protocol_summary(load_protocol("piepers-2007"))
    >>> summary.arms[0].regimen
    'from day 0: 500 mg × 2, daily; from day 7: 1000 mg × 2, daily'
    >>> "back to the last dose shown stable" in dict(summary.design)["Taper"]
    True
    >>> "reference: mean of the last 3 pre-taper assessments" in dict(summary.design)[
    ...     "Deterioration"]
    True
    >>> dict(summary.design)["Primary endpoint"]  # doctest: +NORMALIZE_WHITESPACE
    'IVIg dose reduced by at least 50% at month 12: IVIg dose intensity reduced by ≥ 50%
    at day 365; withdrawal before then counts as failure'
    """
    eligibility = protocol.eligibility
    deterioration = protocol.deterioration
    primary = protocol.endpoints.primary
    visits = protocol.schedule.visits
    randomization = protocol.randomization
    method = _words(randomization.method)
    if randomization.block_sizes:
        method += f", block sizes {', '.join(str(b) for b in randomization.block_sizes)}"
    if randomization.strata:
        method += f", strata {', '.join(randomization.strata)}"
    confirmation = (
        f"confirmed by a repeat assessment within {deterioration.confirmation_days} days "
        f"(an unrepeated drop {deterioration.unrepeated.value})"
        if deterioration.confirmation_days
        else "a single assessment decides"
    )
    confirmation += (
        f"; reference: {deterioration.reference_statistic.value} of the last "
        f"{deterioration.reference_assessments} pre-taper assessments; no taper step "
        "without every criterion assessed "
        + (
            f"within {deterioration.assessed_within_days} days"
            if deterioration.assessed_within_days is not None
            else "since the last step"
        )
    )
    design = (
        (
            "Eligibility",
            f"EFNS/PNS {' or '.join(eligibility.efns_categories)} MMN, age "
            f"{eligibility.age_min_years}-{eligibility.age_max_years} years, IVIg every "
            f"{eligibility.ivig_interval_days_min}-{eligibility.ivig_interval_days_max} days, "
            f"stable for {eligibility.stable_maintenance_months} months; "
            f"{len(eligibility.exclusions)} exclusion criteria",
        ),
        (
            "Visits",
            f"{len(visits)} visits from day {visits[0].day} to day {visits[-1].day} "
            f"({', '.join(v.name for v in visits)})",
        ),
        (
            "Baseline IVIg",
            f"mean intensity of the last {protocol.baseline.n_infusions} infusions before day 0",
        ),
        ("Taper", _taper(protocol.taper)),
        (
            "Deterioration",
            f"{deterioration.combine.value} of: "
            + "; ".join(_criterion(c) for c in deterioration.criteria)
            + f"; {confirmation}",
        ),
        (
            "Primary endpoint",
            f"{primary.shown_label()}: IVIg dose intensity reduced by ≥ "
            f"{_g(primary.reduction_percent)}% at day "
            f"{primary.day}; withdrawal before then counts as {_words(primary.withdrawal.value)}",
        ),
        (
            "Secondary endpoints",
            "; ".join(_secondary(e) for e in protocol.endpoints.secondary) or "none",
        ),
        ("Randomization", method),
    )
    return ProtocolSummary(
        name=protocol.name,
        title=protocol.title,
        version=protocol.version,
        description=" ".join(protocol.description.split()),
        sources=protocol.sources,
        arms=tuple(_arm(a) for a in protocol.arms),
        design=design,
    )


__all__ = ["ArmRow", "ProtocolSummary", "protocol_summary"]
