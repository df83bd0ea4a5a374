"""The protocol engine: a pure taper state machine over arrays of patients.

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

Each event is written as what the protocol does to one patient, looped over the
patients the event concerns and compiled with numba (:mod:`mmntrial._jit`); the state
stays numpy arrays, one element per patient, so a decision for 10^5 patients is one
call and equals the decisions made one patient at a time (tests/engine/test_properties).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from mmntrial._jit import jit_in_place
from mmntrial.engine import ladder
from mmntrial.engine.per_protocol import per_protocol
from mmntrial.engine.rules import (
    Evaluation,
    compile_rules,
    drop_verdict,
    empty_evaluation,
    evaluate_patient,
    keep_best,
    severe_verdict,
)
from mmntrial.engine.states import ALLOWED_TABLE, Action, TaperState, transition
from mmntrial.errors import EngineError
from mmntrial.protocol.model import AfterDeterioration, Cadence, Protocol, Unrepeated

# The engine's own names: taper levels (Ints) and taper state codes (States).
from mmntrial.units import Bools, Floats
from mmntrial.units import Int8s as States
from mmntrial.units import Int16s as Ints


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


# The order in which the compiled decide step fills a Decision's arrays.
_DECISION_FIELDS = tuple(f.name for f in dataclasses.fields(Decision))


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


# --- the steps of one patient, compiled (see mmntrial._jit) ---
#
# Each event is a loop over patients that applies the protocol to one patient at a time,
# in the state's own arrays, passed as one tuple (``_arrays``). Codes are TaperState and
# Action values; an illegal transition is not made but noted in ``error`` (patient, old,
# new), and the Python caller raises IllegalTransition with the explanation.

_RUN_IN, _TAPERING, _CONFIRMING = int(TaperState.RUN_IN), int(TaperState.TAPERING), 2
_RESTORED, _STABILISED = int(TaperState.RESTORED), int(TaperState.STABILISED)
_WITHDRAWN = int(TaperState.WITHDRAWN)
_BASELINE, _REDUCE, _HOLD = int(Action.BASELINE), int(Action.REDUCE), int(Action.HOLD)
_RESTORE, _RESCUE, _NONE = int(Action.RESTORE), int(Action.RESCUE), int(Action.NONE)
assert _CONFIRMING == TaperState.CONFIRMING


def _arrays(w: EngineState) -> tuple[Any, ...]:
    """The state's arrays in the order the compiled steps unpack them."""
    e = w.evaluation
    return (
        w.state,
        w.level,
        w.max_level,
        w.baseline_intensity,
        w.baseline_interval_days,
        w.last_step_day,
        w.pending_day,
        w.pending_fired,
        w.resume_state,
        w.restore_due,
        w.rescue_due,
        w.restored_day,
        w.first_deterioration_day,
        w.deteriorations,
        w.pre_taper,
        w.best,
        (e.worsening, e.fired, e.value, e.reference, e.side),
        w.evaluation_day,
        w.withdrawn_day,
    )


@per_protocol
def _settings(protocol: Protocol) -> tuple[Any, ...]:
    """The protocol's numbers the compiled steps need, in the order they unpack them."""
    taper, det = protocol.taper, protocol.deterioration
    dose_percent, interval_step = ladder.ladder_table(taper)
    return (
        float(taper.start_day),
        float(det.confirmation_days),
        det.unrepeated is Unrepeated.COUNTS,
        taper.after_deterioration is AfterDeterioration.RESTORE_AND_RESUME,
        7.0 * (taper.resume_after_weeks or 0),
        taper.cadence is Cadence.EVERY_N_WEEKS,
        7.0 * (taper.cadence_weeks or 0),
        np.nan if taper.rescue is None else float(taper.rescue.dose_g_per_kg),
        dose_percent,
        interval_step,
    )


@per_protocol
def _rules(protocol: Protocol) -> tuple[Any, ...]:
    """The compiled criteria as the compiled steps unpack them."""
    rules = compile_rules(protocol)
    return (
        rules.series_index,
        rules.worse_sign,
        rules.threshold,
        rules.best_on_study,
        rules.both_sides,
        rules.rescue,
        rules.combine_all,
        rules.series_sign,
    )


def _raise_if_illegal(error: npt.NDArray[np.int64]) -> None:
    if error[0] >= 0:
        transition(TaperState(int(error[1])), TaperState(int(error[2])))  # raises


@jit_in_place
def _move(states: States, i: int, new: int, allowed: Bools, error: npt.NDArray[np.int64]) -> None:
    """Patient ``i`` to state ``new``, if the state machine allows it (see states.ALLOWED)."""
    old = states[i]
    if old == new:
        return
    if not allowed[old, new]:
        if error[0] < 0:
            error[0], error[1], error[2] = i, old, new
        return
    states[i] = new


@jit_in_place
def _close_pending(a: tuple[Any, ...], i: int) -> None:
    pending_day, pending_fired = a[6], a[7]
    pending_day[i] = np.nan
    for c in range(pending_fired.shape[1]):
        pending_fired[i, c] = False


@jit_in_place
def _confirm(
    a: tuple[Any, ...],
    i: int,
    day: float,
    rescue: bool,
    allowed: Bools,
    error: npt.NDArray[np.int64],
) -> None:
    """A confirmed deterioration: one level back up, and a restore (or rescue) is due."""
    state, level, restore_due, rescue_due = a[0], a[1], a[9], a[10]
    restored_day, first_deterioration_day, deteriorations = a[11], a[12], a[13]
    _move(state, i, _RESTORED, allowed, error)
    level[i] = max(level[i] - 1, 0)
    if rescue:
        rescue_due[i] = True
    else:
        restore_due[i] = True
    restored_day[i] = day
    if np.isnan(first_deterioration_day[i]):
        first_deterioration_day[i] = day
    deteriorations[i] += 1
    _close_pending(a, i)


@jit_in_place
def _refute(a: tuple[Any, ...], i: int, allowed: Bools, error: npt.NDArray[np.int64]) -> None:
    """A drop that the repeat assessment did not show: back to the interrupted state."""
    resume = a[8][i]
    if resume in (_TAPERING, _STABILISED, _RESTORED):
        _move(a[0], i, resume, allowed, error)
    _close_pending(a, i)


@jit_in_place
def _settle_overdue(
    a: tuple[Any, ...],
    s: tuple[Any, ...],
    i: int,
    day: float,
    allowed: Bools,
    error: npt.NDArray[np.int64],
) -> None:
    """A drop whose confirmation window closed without a usable repeat assessment."""
    window, unrepeated_counts = s[1], s[2]
    if a[0][i] == _CONFIRMING and day > a[6][i] + window:
        if unrepeated_counts:
            _confirm(a, i, day, False, allowed, error)
        else:
            _refute(a, i, allowed, error)


@jit_in_place
def _judge(
    a: tuple[Any, ...],
    r: tuple[Any, ...],
    s: tuple[Any, ...],
    i: int,
    day: float,
    allowed: Bools,
    error: npt.NDArray[np.int64],
) -> None:
    """Turn patient ``i``'s latest criteria into a confirmation, a deterioration or a rescue."""
    state, pending_day, pending_fired, resume_state = a[0], a[6], a[7], a[8]
    restore_due, rescue_due = a[9], a[10]
    worsening, fired = a[16][0], a[16][1]
    rescue, combine_all = r[5], r[6]
    if severe_verdict(i, fired, rescue):
        # Severe deterioration needs no confirmation: rescue at the next infusion.
        _confirm(a, i, day, True, allowed, error)
        return
    drop = drop_verdict(i, fired, rescue, combine_all)
    if state[i] == _CONFIRMING:
        # A repeat assessment confirms if the drop shows again; it refutes only if every
        # criterion that fired first could be judged again and the verdict is "no drop".
        rejudged = True
        for c in range(fired.shape[1]):
            if pending_fired[i, c] and np.isnan(worsening[i, c]):
                rejudged = False
        if drop:
            _confirm(a, i, day, False, allowed, error)
        elif rejudged:
            _refute(a, i, allowed, error)
        return
    opens = state[i] in (_TAPERING, _STABILISED, _RESTORED)
    # A drop is a new episode only once any restore or rescue already decided has been
    # given: until then the same weakness would be counted twice.
    if not (drop and opens) or restore_due[i] or rescue_due[i]:
        return
    if s[1] == 0.0:  # no confirmation window: confirmed at once
        _confirm(a, i, day, False, allowed, error)
        return
    resume_state[i] = state[i]
    _move(state, i, _CONFIRMING, allowed, error)
    pending_day[i] = day
    for c in range(fired.shape[1]):
        pending_fired[i, c] = fired[i, c]


@jit_in_place
def _observe_all(
    a: tuple[Any, ...],
    r: tuple[Any, ...],
    s: tuple[Any, ...],
    day: Floats,
    values: Floats,
    where: Bools,
    allowed: Bools,
    error: npt.NDArray[np.int64],
) -> None:
    state, pre_taper, best, evaluation, evaluation_day = a[0], a[14], a[15], a[16], a[17]
    series_index, worse_sign, threshold, best_on_study, both_sides = r[0], r[1], r[2], r[3], r[4]
    series_sign, start_day = r[7], s[0]
    for i in range(state.shape[0]):
        if not where[i] or state[i] == _WITHDRAWN:
            continue
        _settle_overdue(a, s, i, day[i], allowed, error)
        if state[i] == _RUN_IN and day[i] > start_day:
            _move(state, i, _TAPERING, allowed, error)
        if state[i] == _RUN_IN:  # before the taper: the pre-taper reference
            for j in range(values.shape[1]):
                if not np.isnan(values[i, j]):
                    pre_taper[i, j] = values[i, j]
        else:
            evaluate_patient(
                i, values, pre_taper, best, series_index, worse_sign, threshold,
                best_on_study, both_sides, evaluation,
            )  # fmt: skip
            evaluation_day[i] = day[i]
            _judge(a, r, s, i, day[i], allowed, error)
        # Best on study counts from day 0 and includes this assessment for the next one.
        if day[i] >= 0:
            keep_best(i, best, values, series_sign)


@jit_in_place
def _decide_all(
    a: tuple[Any, ...],
    s: tuple[Any, ...],
    day: Floats,
    weight_kg: Floats,
    where: Bools,
    allowed: Bools,
    error: npt.NDArray[np.int64],
    out: tuple[Any, ...],
) -> None:
    state, level, max_level, baseline_intensity, baseline_interval = a[0], a[1], a[2], a[3], a[4]
    last_step_day, restore_due, rescue_due, restored_day = a[5], a[9], a[10], a[11]
    start_day, resume, resume_days, every_n_weeks, cadence_days = s[0], s[3], s[4], s[5], s[6]
    rescue_dose_per_kg, dose_percent, interval_step = s[7], s[8], s[9]
    out_day, action, out_state, out_level, dose, interval, intensity, percent, reduction = out
    for i in range(state.shape[0]):
        out_day[i] = day[i] if where[i] else np.nan
        act = _NONE
        dose[i] = interval[i] = intensity[i] = percent[i] = reduction[i] = np.nan
        if where[i] and state[i] != _WITHDRAWN:
            _settle_overdue(a, s, i, day[i], allowed, error)
            if state[i] == _RUN_IN and day[i] >= start_day:
                _move(state, i, _TAPERING, allowed, error)
            act = _BASELINE if state[i] == _RUN_IN else _HOLD
            rested = day[i] - restored_day[i] >= resume_days  # K stable weeks since restore
            waiting = restore_due[i] or rescue_due[i]
            if resume and state[i] == _RESTORED and rested and not waiting:
                _move(state, i, _TAPERING, allowed, error)
            if state[i] == _TAPERING:
                since = day[i] - last_step_day[i]
                if not every_n_weeks or np.isnan(since) or since >= cadence_days:
                    if level[i] < max_level[i]:
                        level[i] += 1
                        act = _REDUCE
                        last_step_day[i] = day[i]
                    else:
                        _move(state, i, _STABILISED, allowed, error)
            rescue = rescue_due[i]
            if restore_due[i] or rescue:
                act = _RESCUE if rescue else _RESTORE
                restore_due[i] = rescue_due[i] = False
                # A resumed taper waits a full cadence after a restore.
                last_step_day[i] = day[i]
            dose[i], interval[i] = ladder.regimen_at(
                level[i],
                baseline_intensity[i],
                baseline_interval[i],
                weight_kg[i],
                dose_percent,
                interval_step,
            )
            if rescue and not np.isnan(rescue_dose_per_kg):
                dose[i] = rescue_dose_per_kg * weight_kg[i]
                interval[i] = baseline_interval[i]
            intensity[i] = ladder.dose_intensity_at(dose[i], weight_kg[i], interval[i])
            percent[i] = 100.0 * intensity[i] / baseline_intensity[i]
            reduction[i] = 100.0 - percent[i]
        action[i] = act
        out_state[i] = state[i]
        out_level[i] = level[i]


@jit_in_place
def _withdraw_all(
    a: tuple[Any, ...], day: Floats, where: Bools, allowed: Bools, error: npt.NDArray[np.int64]
) -> None:
    state, withdrawn_day = a[0], a[18]
    for i in range(state.shape[0]):
        if where[i] and state[i] != _WITHDRAWN:
            _move(state, i, _WITHDRAWN, allowed, error)
            withdrawn_day[i] = day[i]


# --- the public events ---


def _inputs(w: EngineState, day: Floats, where: Bools) -> tuple[Floats, Bools]:
    n = w.n_patients
    day_in = np.ascontiguousarray(np.broadcast_to(np.asarray(day, dtype=np.float64), (n,)))
    return day_in, np.ascontiguousarray(np.asarray(where, dtype=bool))


def _concerns(state: EngineState, where: Bools) -> bool:
    return bool((np.asarray(where, dtype=bool) & (state.state != _WITHDRAWN)).any())


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
    if not _concerns(state, where):
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
    day_in, where_in = _inputs(w, day, where)
    error = np.full(3, -1, dtype=np.int64)
    _observe_all(
        _arrays(w),
        _rules(protocol),
        _settings(protocol),
        day_in,
        np.ascontiguousarray(values, dtype=np.float64),
        where_in,
        ALLOWED_TABLE,
        error,
    )
    _raise_if_illegal(error)


def withdraw(state: EngineState, day: Floats, where: Bools) -> EngineState:
    """Withdraw patients (final): from then on the protocol recommends no dose.

    Like every event, it returns the state unchanged (the same object) when no row is
    concerned, and a changed copy otherwise.
    """
    if not _concerns(state, where):
        return state
    w = state.copy()
    withdraw_in_place(w, day, where)
    return w


def withdraw_in_place(w: EngineState, day: Floats, where: Bools) -> None:
    """:func:`withdraw`, changing ``w`` itself (see :func:`observe_in_place`)."""
    day_in, where_in = _inputs(w, day, where)
    error = np.full(3, -1, dtype=np.int64)
    _withdraw_all(_arrays(w), day_in, where_in, ALLOWED_TABLE, error)
    _raise_if_illegal(error)


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
    day_in, where_in = _inputs(w, day, where)
    n = w.n_patients
    decision = Decision(
        day=np.empty(n),
        action=np.empty(n, dtype=np.int8),
        state=np.empty(n, dtype=np.int8),
        level=np.empty(n, dtype=np.int16),
        dose_g=np.empty(n),
        interval_days=np.empty(n),
        intensity_g_per_kg_week=np.empty(n),
        percent_of_baseline=np.empty(n),
        reduction_percent=np.empty(n),
    )
    error = np.full(3, -1, dtype=np.int64)
    _decide_all(
        _arrays(w),
        _settings(protocol),
        day_in,
        np.ascontiguousarray(np.broadcast_to(np.asarray(weight_kg, dtype=np.float64), (n,))),
        where_in,
        ALLOWED_TABLE,
        error,
        tuple(getattr(decision, name) for name in _DECISION_FIELDS),
    )
    _raise_if_illegal(error)
    return decision


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
