"""The protocol engine: a pure, vectorized taper state machine.

The engine sees three kinds of events per patient, each at a study day:

- :func:`observe` an assessment (values of the watched measures, NaN where missing):
  before the taper it records the pre-taper reference; from then on it evaluates the
  deterioration and rescue criteria, opens or settles a confirmation, and confirms a
  deterioration (which schedules a restore) or a severe one (which schedules rescue);
- :func:`decide` an infusion that is due: it returns the recommended regimen and the
  action (baseline, reduce, hold, restore, rescue, none);
- :func:`withdraw` a withdrawal.

Every function takes an :class:`EngineState` (arrays over patients), a day per patient
and a mask of the patients the event concerns, and returns a new state: inputs are never
modified, and nothing else is read (no clock, no files, no global state). The simulator
calls these for 10^5 patients at a time; the replay and the capture app for one. Each
event also has an ``*_in_place`` form that changes the state it is given instead of a
copy: the same code, for the simulator, which owns its state and never looks back.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from mmntrial.engine import ladder
from mmntrial.engine.rules import (
    CompiledRules,
    Evaluation,
    combined,
    compile_rules,
    empty_evaluation,
    evaluate,
    rescue_fired,
    update_best,
)
from mmntrial.engine.states import Action, TaperState, move
from mmntrial.errors import EngineError
from mmntrial.protocol.model import AfterDeterioration, Cadence, Protocol, Unrepeated

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int16]
States = npt.NDArray[np.int8]


@dataclass
class EngineState:
    """Everything the engine remembers about each patient (one row per patient).

    Days are float arrays so that "never" can be NaN. ``resume_state`` is the state a
    refuted drop returns to. ``evaluation`` holds the criteria at the latest assessment.
    The public functions never change a state they are given: they work on a copy.
    """

    state: States
    level: Ints
    max_level: Ints
    baseline_intensity: Floats
    baseline_interval_days: Floats
    last_step_day: Floats
    pending_day: Floats
    pending_fired: Bools
    resume_state: States
    restore_due: Bools
    rescue_due: Bools
    restored_day: Floats
    first_deterioration_day: Floats
    deteriorations: Ints
    pre_taper: Floats
    best: Floats
    evaluation: Evaluation
    evaluation_day: Floats
    withdrawn_day: Floats

    @property
    def n_patients(self) -> int:
        return int(self.state.shape[0])

    def copy(self) -> EngineState:
        """A deep copy: arrays are copied, so the copy can be changed freely."""
        return self.select(slice(None))

    def select(self, index: slice | npt.NDArray[np.intp]) -> EngineState:
        """The state of a subset of patients, as copies (used to compare batch with single)."""

        def take(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
            # An index array already copies; a slice gives a view, which must be copied.
            return array[index].copy() if isinstance(index, slice) else array[index]

        changes: dict[str, object] = {}
        for name in _STATE_FIELDS:
            value = getattr(self, name)
            if isinstance(value, Evaluation):
                changes[name] = Evaluation(*(take(getattr(value, f)) for f in _EVALUATION_FIELDS))
            else:
                changes[name] = take(value)
        return EngineState(**changes)  # type: ignore[arg-type]


_STATE_FIELDS = tuple(f.name for f in dataclasses.fields(EngineState))
_EVALUATION_FIELDS = tuple(f.name for f in dataclasses.fields(Evaluation))


@dataclass(frozen=True)
class Decision:
    """The engine's answer for the infusions due, one row per patient.

    Rows outside the event's mask, and withdrawn patients, carry NaN regimens and
    ``Action.NONE``.
    """

    day: Floats
    action: States
    state: States
    level: Ints
    dose_g: Floats
    interval_days: Floats
    intensity_g_per_kg_week: Floats
    percent_of_baseline: Floats
    reduction_percent: Floats


def start(
    protocol: Protocol, baseline_intensity: Floats, baseline_interval_days: Floats
) -> EngineState:
    """The state at randomization: run-in at level 0, nothing measured yet.

    ``baseline_intensity`` is each patient's baseline dose intensity (g/kg/week, the
    mean of the last N pre-randomization infusions); ``baseline_interval_days`` the
    interval the taper keeps (or lengthens).
    """
    intensity = np.asarray(baseline_intensity, dtype=np.float64)
    interval = np.asarray(baseline_interval_days, dtype=np.float64)
    if intensity.shape != interval.shape or intensity.ndim != 1:
        raise EngineError(
            f"baseline arrays must be one-dimensional and alike; got shapes "
            f"{intensity.shape} and {interval.shape}"
        )
    if not (np.all(intensity > 0) and np.all(interval > 0)):
        raise EngineError("every baseline intensity and interval must be positive")
    rules = compile_rules(protocol)
    n, n_series = intensity.shape[0], len(rules.series)
    nan = np.full(n, np.nan)
    return EngineState(
        state=np.full(n, TaperState.RUN_IN, dtype=np.int8),
        level=np.zeros(n, dtype=np.int16),
        max_level=ladder.max_levels(protocol.taper, interval),
        baseline_intensity=intensity.copy(),
        baseline_interval_days=interval.copy(),
        last_step_day=nan.copy(),
        pending_day=nan.copy(),
        pending_fired=np.zeros((n, rules.n_criteria), dtype=bool),
        resume_state=np.full(n, TaperState.TAPERING, dtype=np.int8),
        restore_due=np.zeros(n, dtype=bool),
        rescue_due=np.zeros(n, dtype=bool),
        restored_day=nan.copy(),
        first_deterioration_day=nan.copy(),
        deteriorations=np.zeros(n, dtype=np.int16),
        pre_taper=np.full((n, n_series), np.nan),
        best=np.full((n, n_series), np.nan),
        evaluation=empty_evaluation(n, rules.n_criteria),
        evaluation_day=nan.copy(),
        withdrawn_day=nan.copy(),
    )


# --- private steps: each changes the working copy ``w`` in place, for rows in ``where`` ---

_WITHDRAWN = np.int8(TaperState.WITHDRAWN)
# States in which a new drop opens a confirmation, as a lookup table over state codes.
_OPEN = np.zeros(len(TaperState), dtype=bool)
_OPEN[[TaperState.TAPERING, TaperState.STABILISED, TaperState.RESTORED]] = True


def _enter_taper(protocol: Protocol, w: EngineState, day: Floats, where: Bools) -> None:
    """Run-in ends once the taper start day is reached: the pre-taper values freeze."""
    starting = where & (w.state == TaperState.RUN_IN) & (day >= protocol.taper.start_day)
    w.state = move(w.state, starting, TaperState.TAPERING)


def _confirm(w: EngineState, day: Floats, where: Bools, *, rescue: Bools) -> None:
    """A confirmed deterioration: one level back up, and a restore (or rescue) is due."""
    if not where.any():
        return
    w.state = move(w.state, where, TaperState.RESTORED)
    w.level = np.where(where, np.maximum(w.level - 1, 0), w.level).astype(np.int16)
    w.restore_due |= where & ~rescue
    w.rescue_due |= where & rescue
    w.restored_day = np.where(where, day, w.restored_day)
    w.first_deterioration_day = np.where(
        where & np.isnan(w.first_deterioration_day), day, w.first_deterioration_day
    )
    w.deteriorations = (w.deteriorations + where).astype(np.int16)
    _close_pending(w, where)


def _refute(w: EngineState, where: Bools) -> None:
    """A drop that the repeat assessment did not show: back to the interrupted state."""
    if not where.any():
        return
    for target in (TaperState.TAPERING, TaperState.STABILISED, TaperState.RESTORED):
        w.state = move(w.state, where & (w.resume_state == target), target)
    _close_pending(w, where)


def _close_pending(w: EngineState, where: Bools) -> None:
    w.pending_day = np.where(where, np.nan, w.pending_day)
    w.pending_fired &= ~where[:, None]


def _settle_overdue(protocol: Protocol, w: EngineState, day: Floats, where: Bools) -> None:
    """A drop whose confirmation window closed without a usable repeat assessment."""
    window = protocol.deterioration.confirmation_days
    overdue = where & (w.state == TaperState.CONFIRMING) & (day > w.pending_day + window)
    if not overdue.any():
        return
    if protocol.deterioration.unrepeated is Unrepeated.COUNTS:
        _confirm(w, day, overdue, rescue=np.zeros_like(overdue))
    else:
        _refute(w, overdue)


def _judge(
    protocol: Protocol,
    rules: CompiledRules,
    w: EngineState,
    day: Floats,
    watched: Bools,
    evaluation: Evaluation,
) -> None:
    """Turn one assessment's criteria into a confirmation, a deterioration or a rescue."""
    drop = combined(rules, evaluation.fired)
    severe = watched & rescue_fired(rules, evaluation.fired)
    # Severe deterioration needs no confirmation: rescue at the next infusion.
    _confirm(w, day, severe, rescue=severe)
    watched = watched & ~severe
    confirming = watched & (w.state == TaperState.CONFIRMING)
    # A repeat assessment confirms if the drop shows again; it refutes only if every
    # criterion that fired first could be judged again and the verdict is "no drop".
    if confirming.any():
        rejudged = ~(w.pending_fired & ~evaluation.evaluable).any(axis=1)
        confirmed = confirming & drop
        refuted = confirming & ~drop & rejudged
        _confirm(w, day, confirmed, rescue=np.zeros_like(confirmed))
        _refute(w, refuted)
    # A drop is a new episode only once any restore or rescue already decided has been
    # given: until then the same weakness would be counted twice.
    fresh = watched & ~confirming & drop & _OPEN[w.state]
    fresh &= ~(w.restore_due | w.rescue_due)
    if protocol.deterioration.confirmation_days == 0:
        _confirm(w, day, fresh, rescue=np.zeros_like(fresh))
        return
    w.resume_state = np.where(fresh, w.state, w.resume_state).astype(np.int8)
    w.state = move(w.state, fresh, TaperState.CONFIRMING)
    w.pending_day = np.where(fresh, day, w.pending_day)
    w.pending_fired = np.where(fresh[:, None], evaluation.fired, w.pending_fired)


def _merge_evaluation(w: EngineState, new: Evaluation, where: Bools) -> None:
    """Keep ``new`` where ``where`` holds, in ``w``'s own evaluation arrays."""
    column = where[:, None]
    for name in _EVALUATION_FIELDS:
        np.copyto(getattr(w.evaluation, name), getattr(new, name), where=column)


# --- the public events ---


def observe(
    protocol: Protocol,
    state: EngineState,
    day: Floats,
    values: Floats,
    where: Bools,
) -> EngineState:
    """Take in one assessment per patient where ``where`` holds; return the new state.

    ``values`` is ``(patients, series)`` in the order of ``compile_rules(protocol).series``
    (see :func:`series_matrix`), NaN where a value was not measured. Values up to the
    taper start day form the pre-taper reference; later ones are judged.
    """
    if not (where & (state.state != _WITHDRAWN)).any():
        return state
    w = state.copy()
    observe_in_place(protocol, w, day, values, where)
    return w


def observe_in_place(
    protocol: Protocol, w: EngineState, day: Floats, values: Floats, where: Bools
) -> None:
    """:func:`observe`, changing ``w`` itself: for a caller that owns its state.

    The simulator advances one state through a whole trial and never looks back, so a
    copy per event would only cost time; everyone else calls :func:`observe`.
    """
    where = where & (w.state != _WITHDRAWN)
    if not where.any():
        return
    rules = compile_rules(protocol)
    _settle_overdue(protocol, w, day, where)
    _enter_taper(protocol, w, day, where & (day > protocol.taper.start_day))
    in_run_in = where & (w.state == TaperState.RUN_IN)
    np.copyto(w.pre_taper, values, where=in_run_in[:, None] & ~np.isnan(values))
    watched = where & ~in_run_in
    evaluation = evaluate(rules, values, w.pre_taper, w.best)
    _merge_evaluation(w, evaluation, watched)
    w.evaluation_day = np.where(watched, day, w.evaluation_day)
    _judge(protocol, rules, w, day, watched, evaluation)
    # Best on study counts from day 0 and includes this assessment for the next one.
    on_study = (where & (day >= 0))[:, None]
    np.copyto(w.best, update_best(rules, w.best, values), where=on_study)


def withdraw(state: EngineState, day: Floats, where: Bools) -> EngineState:
    """Withdraw patients (final): from then on the protocol recommends no dose.

    Like every event, it returns the state unchanged (the same object) when no row is
    concerned, and a changed copy otherwise.
    """
    if not (where & (state.state != _WITHDRAWN)).any():
        return state
    w = state.copy()
    withdraw_in_place(w, day, where)
    return w


def withdraw_in_place(w: EngineState, day: Floats, where: Bools) -> None:
    """:func:`withdraw`, changing ``w`` itself (see :func:`observe_in_place`)."""
    where = where & (w.state != _WITHDRAWN)
    if not where.any():
        return
    w.state = move(w.state, where, TaperState.WITHDRAWN)
    w.withdrawn_day = np.where(where, day, w.withdrawn_day)


def decide(
    protocol: Protocol,
    state: EngineState,
    day: Floats,
    weight_kg: Floats,
    where: Bools,
) -> tuple[EngineState, Decision]:
    """Recommend the regimen for the infusion due on ``day`` where ``where`` holds.

    Priority: withdrawn (none) > rescue > restore > run-in (baseline) > the taper step
    (reduce when a step is due and a lower level exists, else hold).
    """
    w = state.copy()
    return w, decide_in_place(protocol, w, day, weight_kg, where)


def decide_in_place(
    protocol: Protocol, w: EngineState, day: Floats, weight_kg: Floats, where: Bools
) -> Decision:
    """:func:`decide`, changing ``w`` itself (see :func:`observe_in_place`)."""
    taper = protocol.taper
    active = where & (w.state != TaperState.WITHDRAWN)
    _settle_overdue(protocol, w, day, active)
    _enter_taper(protocol, w, day, active)
    action = np.full(w.n_patients, Action.NONE, dtype=np.int8)
    action[active] = Action.HOLD
    action[active & (w.state == TaperState.RUN_IN)] = Action.BASELINE

    if taper.after_deterioration is AfterDeterioration.RESTORE_AND_RESUME:
        rested = day - w.restored_day >= 7 * (taper.resume_after_weeks or 0)
        resuming = active & (w.state == TaperState.RESTORED) & rested
        resuming &= ~w.restore_due & ~w.rescue_due
        w.state = move(w.state, resuming, TaperState.TAPERING)

    tapering = active & (w.state == TaperState.TAPERING)
    if taper.cadence is Cadence.EVERY_N_WEEKS:
        since = day - w.last_step_day
        due = np.isnan(since) | (since >= 7 * (taper.cadence_weeks or 0))
    else:
        due = np.ones(w.n_patients, dtype=bool)
    stepping = tapering & due & (w.level < w.max_level)
    w.state = move(w.state, tapering & due & (w.level >= w.max_level), TaperState.STABILISED)
    w.level = np.where(stepping, w.level + 1, w.level).astype(np.int16)
    action[stepping] = Action.REDUCE
    w.last_step_day = np.where(stepping, day, w.last_step_day)

    restore = active & w.restore_due
    rescue = active & w.rescue_due
    action[restore] = Action.RESTORE
    action[rescue] = Action.RESCUE
    w.restore_due &= ~restore
    w.rescue_due &= ~rescue
    # A resumed taper waits a full cadence after a restore.
    w.last_step_day = np.where(restore | rescue, day, w.last_step_day)

    dose_g, interval_days = ladder.regimen(
        taper, w.level, w.baseline_intensity, w.baseline_interval_days, weight_kg
    )
    if taper.rescue is not None:
        dose_g = np.where(rescue, taper.rescue.dose_g_per_kg * weight_kg, dose_g)
        interval_days = np.where(rescue, w.baseline_interval_days, interval_days)
    dose_g = np.where(active, dose_g, np.nan)
    interval_days = np.where(active, interval_days, np.nan)
    intensity = ladder.intensity(dose_g, interval_days, weight_kg)
    percent = 100.0 * intensity / w.baseline_intensity
    return Decision(
        day=np.where(where, day, np.nan),
        action=action,
        state=w.state.copy(),
        level=w.level.copy(),
        dose_g=dose_g,
        interval_days=interval_days,
        intensity_g_per_kg_week=intensity,
        percent_of_baseline=percent,
        reduction_percent=100.0 - percent,
    )


def series_matrix(protocol: Protocol, values: dict[str, Floats], n_patients: int) -> Floats:
    """Stack named value series (``mrc_sum``, ``grip_kpa:left``...) in the engine's order.

    Series the engine does not watch are ignored; watched series not given are NaN.
    """
    rules = compile_rules(protocol)
    matrix = np.full((n_patients, len(rules.series)), np.nan)
    for j, key in enumerate(rules.series):
        if key in values:
            matrix[:, j] = values[key]
    return matrix


__all__ = [
    "Decision",
    "EngineState",
    "decide",
    "decide_in_place",
    "observe",
    "observe_in_place",
    "series_matrix",
    "start",
    "withdraw",
    "withdraw_in_place",
]
