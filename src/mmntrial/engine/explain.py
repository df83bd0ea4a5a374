"""Decisions in words: what the engine recommends, which rule decided, with the numbers.

A site investigator reads these at the bedside, so each sentence names the rule, the
values and the thresholds, e.g. "grip (left hand) fell 9 kPa from the pre-taper
reference of 52 kPa (threshold 8 kPa)".
"""

from __future__ import annotations

from mmntrial.engine.replay import CriterionResult, DecisionRecord
from mmntrial.engine.states import Action, TaperState
from mmntrial.measures.catalogue import MEASURES, measure_spec
from mmntrial.protocol.model import Cadence, Protocol, RestoreTo

_RESTORES = {
    RestoreTo.ONE_LEVEL: "one level",
    RestoreTo.LAST_STABLE: "the last level the patient was stable at",
    RestoreTo.BASELINE: "the full baseline dose",
}
_REFERENCES = {"pre_taper": "the pre-taper reference", "best_on_study": "the best value on study"}


def _g(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def measure_label(measure: str) -> str:
    """A measure as the explanations name it, e.g. ``grip`` for ``grip_kpa``: the
    catalogue's short label (a measure it does not know keeps its name).

    >>> measure_label("mrc_sum"), measure_label("unknown_measure")
    ('MRC sum', 'unknown_measure')
    """
    return MEASURES[measure].short_label if measure in MEASURES else measure


def regimen_text(record: DecisionRecord) -> str:
    """The recommended regimen in words, e.g. ``31.5 g every 21 days (0.15 g/kg/week, 75%)``."""
    if record.dose_g is None:
        return "no dose"
    return (
        f"{_g(record.dose_g)} g every {_g(record.interval_days, 0)} days "
        f"({_g(record.intensity_g_per_kg_week, 3)} g/kg/week, "
        f"{_g(record.percent_of_baseline, 0)}% of baseline)"
    )


def _name(result: CriterionResult) -> str:
    name = measure_label(result.measure)
    return f"{name} ({result.side} hand)" if result.side else name


def criterion_text(result: CriterionResult, renewed_day: int | None = None) -> str:
    """A fired criterion in words, with the values and the threshold.

    For example ``grip (left hand) fell 9 kPa from the pre-taper reference of 52 kPa
    to 43 kPa (threshold 8 kPa)``. ``renewed_day``: the day the pre-taper reference was
    renewed after a restore, if it was.
    """
    unit = measure_spec(result.measure).unit
    if result.value is None or result.reference is None:
        return f"{_name(result)}: not assessed"
    moved = result.value - result.reference
    verb = "rose" if moved > 0 else "fell" if moved < 0 else "did not change"
    amount = f" {_g(abs(moved))} {unit}" if moved else ""
    reference = _REFERENCES.get(result.reference_kind, result.reference_kind)
    if renewed_day is not None and result.reference_kind == "pre_taper":
        reference = f"the reference renewed on day {renewed_day}"
    severe = ", severe: rescue" if result.rescue else ""
    return (
        f"{_name(result)} {verb}{amount} from {reference} of {_g(result.reference)} {unit} "
        f"to {_g(result.value)} {unit} (threshold {_g(result.threshold)} {unit}{severe})"
    )


def _quiet_text(result: CriterionResult) -> str:
    """A criterion that did not fire, briefly: value, reference and threshold."""
    unit = measure_spec(result.measure).unit
    if result.value is None or result.reference is None:
        return f"{_name(result)} not assessed"
    way = "down" if result.direction == "decrease" else "up"
    return (
        f"{_name(result)} {_g(result.value)} {unit} vs reference {_g(result.reference)} "
        f"(fires at {_g(result.threshold)} {way})"
    )


def _unassessed_text(protocol: Protocol, record: DecisionRecord) -> str:
    """Why a due taper step was held: which measures are missing since when, what to do."""
    missing = [c for c in record.criteria if c.unassessed]
    labels = list(dict.fromkeys(measure_label(c.measure) for c in missing))
    names = " and ".join((", ".join(labels[:-1]), labels[-1])) if len(labels) > 1 else labels[0]
    window = protocol.deterioration.assessed_within_days
    if window is not None:
        since = f"since day {record.day - window} ({window} days before this infusion)"
    elif record.last_step_day is not None:
        since = f"since day {record.last_step_day}"
    else:
        since = "before the taper (no pre-taper reference)"
    unjudged = [c for c in missing if c.value is not None and c.reference is None]
    note = (
        f" ({measure_label(unjudged[0].measure)} was measured but has no "
        "reference to be judged against)"
        if unjudged
        else ""
    )
    return (
        f"Hold at {regimen_text(record)}: {names} not assessed {since}{note}; assess before "
        "the next infusion. Missing data never lowers a dose."
    )


def _action_text(protocol: Protocol, record: DecisionRecord) -> str:
    regimen = regimen_text(record)
    confirm_by = (
        record.pending_day + protocol.deterioration.confirmation_days
        if record.pending_day is not None
        else None
    )
    if record.action is Action.NONE:
        return f"Withdrawn on day {record.withdrawn_day}: the protocol recommends no dose."
    if record.action is Action.BASELINE:
        return f"Run-in until day {protocol.taper.start_day}: baseline regimen, {regimen}."
    if record.action is Action.REDUCE:
        return f"Taper step {record.level} of {record.max_level}: reduce to {regimen}."
    if record.action is Action.RESTORE and record.at_baseline:
        return (
            f"Deterioration confirmed on day {record.restored_day} at the full baseline "
            f"dose: the disease, not a taper failure; keep the baseline regimen, {regimen}."
        )
    if record.action is Action.RESTORE:
        return (
            f"Deterioration confirmed on day {record.restored_day}: restore "
            f"{_RESTORES[protocol.taper.restore_to]} (level {record.level}), {regimen}."
        )
    if record.action is Action.RESCUE:
        return (
            f"Severe deterioration on day {record.restored_day}: rescue dose {regimen}; "
            f"afterwards level {record.level}."
        )
    # Action.HOLD: say why the dose does not move.
    if record.state is TaperState.CONFIRMING:
        return (
            f"Hold at {regimen}: a drop seen on day {record.pending_day} must be confirmed "
            f"by a repeat assessment by day {confirm_by}; no reduction until then."
        )
    if any(c.unassessed for c in record.criteria):
        return _unassessed_text(protocol, record)
    if record.state is TaperState.STABILISED:
        return f"Hold at {regimen}: the taper reached its lowest level without deterioration."
    if record.state is TaperState.RESTORED:
        return f"Hold at {regimen}: the dose was restored after deterioration; taper stopped."
    if protocol.taper.cadence is Cadence.EVERY_N_WEEKS and record.last_step_day is not None:
        next_day = record.last_step_day + 7 * (protocol.taper.cadence_weeks or 0)
        return f"Hold at {regimen}: the next taper step is due from day {next_day}."
    return f"Hold at {regimen}."


def explain(protocol: Protocol, record: DecisionRecord) -> str:
    """The decision in words: the recommendation, then the criteria it rests on.

    >>> from mmntrial.protocol.loader import load_protocol
    >>> from mmntrial.measures.history import PatientHistory
    >>> from mmntrial.engine.replay import replay
    >>> from mmntrial.measures.ivig import Infusion
    >>> p = load_protocol("piepers-2007")
    >>> infusions = tuple(Infusion(d, 40, 70, 28, "Kiovig", "IV") for d in range(-84, 120, 28))
    >>> print(explain(p, replay(p, [PatientHistory("P1", infusions)]).decisions[0][-1]))
    Day 112: Hold at 40 g every 28 days (0.143 g/kg/week, 100% of baseline): MRC sum,
    grip and GNDS upper limb not assessed before the taper (no pre-taper reference);
    assess before the next infusion. Missing data never lowers a dose. No assessment
    judged since the taper started.
    """
    action = _action_text(protocol, record)
    judged = [c for c in record.criteria if c.worsening is not None]
    if record.state is TaperState.RUN_IN:
        start = protocol.taper.start_day
        basis = f"Values measured up to day {start} form the pre-taper reference."
    elif record.evaluation_day is None or not judged:
        basis = "No assessment judged since the taper started."
    else:
        fired = [c for c in record.criteria if c.fired]
        if fired:
            findings = "; ".join(criterion_text(c, record.reference_renewed_day) for c in fired)
            basis = f"Assessment of day {record.evaluation_day}: {findings}."
        else:
            quiet = "; ".join(_quiet_text(c) for c in record.criteria)
            basis = f"Assessment of day {record.evaluation_day}, no criterion fired: {quiet}."
    return f"Day {record.day}: {action} {basis}"


__all__ = ["criterion_text", "explain", "measure_label", "regimen_text"]
