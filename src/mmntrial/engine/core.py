"""The protocol engine: a pure taper state machine over arrays of patients.

The engine sees three kinds of events per patient, each at a study day:

- :func:`observe` an assessment (values of the watched measures, NaN where missing):
  before the taper it builds the pre-taper reference (the mean or median of the last N
  values); from then on it evaluates the deterioration and rescue criteria, opens or
  settles a confirmation, confirms a deterioration (which schedules a restore) or a
  severe one (which schedules rescue), counts quiet assessments towards stability at
  the level in force, and renews the reference once a restored patient is stable;
- :func:`decide` an infusion that is due: it returns the recommended regimen and the
  action (baseline, reduce, hold, restore, rescue, none); a step is held, never taken,
  when a criterion's measure was not assessed in time;
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
The state, the decision and the protocol's settings are NamedTuples of arrays: numba
hands them to the compiled steps whole, and the steps read each array by its name.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from mmntrial._jit import jit_in_place
from mmntrial.engine import ladder
from mmntrial.engine.per_protocol import per_protocol
from mmntrial.engine.rules import (
    CriterionArrays,
    Evaluation,
    compile_rules,
    criterion_measured,
    drop_verdict,
    empty_evaluation,
    evaluate_patient,
    keep_best,
    repeat_verdict,
    severe_verdict,
)
from mmntrial.engine.states import ALLOWED_TABLE, Action, TaperState, transition
from mmntrial.errors import EngineError
from mmntrial.protocol.model import (
    AfterDeterioration,
    Cadence,
    ConfirmBy,
    Protocol,
    RestoreTo,
    Statistic,
    Unrepeated,
)

# The engine's own names: taper levels (Ints) and taper state codes (States).
from mmntrial.units import DAYS_PER_WEEK, Bools, Floats
from mmntrial.units import Int8s as States
from mmntrial.units import Int16s as Ints


class EngineState(NamedTuple):
    """Everything the engine remembers about each patient (one row per patient).

    Days are float arrays so that "never" can be NaN. ``resume_state`` is the state a
    refuted drop returns to. ``evaluation`` holds the criteria at the latest assessment;
    ``assessed_day`` (patients, criteria) the last day each criterion's measure was
    assessed (before the taper) or judged (after it), which a taper step needs.
    ``stable_level`` is the last level the patient was shown stable at (level 0 until a
    lower one is); ``quiet_count`` counts the assessments in a row at ``quiet_level``
    that judged every criterion without a drop. ``recent`` (patients, series, N) keeps
    the last N values of each series that a reference is made of, ``recent_count`` how
    many it holds and ``recent_next`` the slot the next one takes. ``renewing`` marks a
    patient whose reference awaits renewal after a restore; ``renewed_day`` is the day
    it was last renewed. ``deteriorations`` counts the taper failures: confirmed episodes
    below the baseline dose; ``baseline_episodes`` the episodes confirmed at the full
    baseline dose (the disease, not the taper), and ``at_baseline`` marks a patient whose
    latest episode was one.
    The public functions never change a state they are given: they work on a copy.
    """

    state: States
    level: Ints
    max_level: Ints
    stable_level: Ints
    quiet_level: Ints
    quiet_count: Ints
    baseline_intensity: Floats
    baseline_interval_days: Floats
    last_step_day: Floats
    pending_day: Floats
    pending_fired: Bools
    pending_sides: States
    pending_values: Floats
    resume_state: States
    restore_due: Bools
    rescue_due: Bools
    restored_day: Floats
    first_deterioration_day: Floats
    deteriorations: Ints
    baseline_episodes: Ints
    at_baseline: Bools
    pre_taper: Floats
    recent: Floats
    recent_count: Ints
    recent_next: Ints
    renewing: Bools
    renewed_day: Floats
    best: Floats
    evaluation: Evaluation
    evaluation_day: Floats
    assessed_day: Floats
    withdrawn_day: Floats

    @property
    def n_patients(self) -> int:
        return int(self.state.shape[0])

    def copy(self) -> EngineState:
        """A deep copy: arrays are copied, so the copy can be changed freely."""
        return EngineState._make(
            Evaluation._make(array.copy() for array in value)
            if isinstance(value, Evaluation)
            else value.copy()
            for value in self
        )


class Decision(NamedTuple):
    """The engine's answer for the infusions due, one row per patient.

    Rows outside the event's mask, and withdrawn patients, carry NaN regimens and
    ``Action.NONE``. ``unassessed`` (patients, criteria) marks the criteria whose
    measure was not assessed in time for a taper step that was otherwise due: the engine
    held instead of reducing (see ``deterioration.assessed_within_days``).
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
    unassessed: Bools


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
        stable_level=np.zeros(n, dtype=np.int16),
        quiet_level=np.full(n, -1, dtype=np.int16),
        quiet_count=np.zeros(n, dtype=np.int16),
        baseline_intensity=intensity.copy(),
        baseline_interval_days=interval.copy(),
        last_step_day=nan.copy(),
        pending_day=nan.copy(),
        pending_fired=np.zeros((n, rules.n_criteria), dtype=bool),
        pending_sides=np.zeros((n, rules.n_criteria), dtype=np.int8),
        pending_values=np.full((n, n_series), np.nan),
        resume_state=np.full(n, TaperState.TAPERING, dtype=np.int8),
        restore_due=np.zeros(n, dtype=bool),
        rescue_due=np.zeros(n, dtype=bool),
        restored_day=nan.copy(),
        first_deterioration_day=nan.copy(),
        deteriorations=np.zeros(n, dtype=np.int16),
        baseline_episodes=np.zeros(n, dtype=np.int16),
        at_baseline=np.zeros(n, dtype=bool),
        pre_taper=np.full((n, n_series), np.nan),
        recent=np.full((n, n_series, protocol.deterioration.reference_assessments), np.nan),
        recent_count=np.zeros((n, n_series), dtype=np.int16),
        recent_next=np.zeros((n, n_series), dtype=np.int16),
        renewing=np.zeros(n, dtype=bool),
        renewed_day=nan.copy(),
        best=np.full((n, n_series), np.nan),
        evaluation=empty_evaluation(n, rules.n_criteria),
        evaluation_day=nan.copy(),
        assessed_day=np.full((n, rules.n_criteria), np.nan),
        withdrawn_day=nan.copy(),
    )


# --- the steps of one patient, compiled (see mmntrial._jit) ---
#
# Each event is a loop over patients that applies the protocol to one patient at a time,
# in the state's own arrays (``w``, an EngineState). Codes are TaperState and Action
# members, which numba compiles as their integer values; an illegal transition is not
# made but noted in ``error`` (patient, old, new), and the Python caller raises
# IllegalTransition with the explanation.


class _Settings(NamedTuple):
    """The protocol's numbers the compiled steps read (see :func:`_settings`)."""

    start_day: float
    confirmation_days: float
    unrepeated_counts: bool  # a drop never assessed again counts as confirmed
    restore_and_resume: bool  # the taper resumes after a restore
    restore_to: int  # _ONE_LEVEL, _LAST_STABLE or _BASELINE
    stable_assessments: int  # quiet assessments in a row at one level that show it stable
    reference_median: bool  # a reference is the median of recent values, not the mean
    renew_after: int  # quiet assessments after a restore that renew the reference (0: never)
    confirm_by_mean: bool  # a repeat confirms by the mean of the two values, not its own
    resume_after_days: float
    every_n_weeks: bool  # the taper steps on a cadence, not at every infusion
    cadence_days: float
    rescue_dose_g_per_kg: float  # NaN: no rescue dose
    assessed_within_days: float  # NaN: a step needs each measure assessed since the last step
    dose_percent: Floats  # ladder.ladder_table: percent of baseline dose per level
    interval_step_days: float  # ladder.ladder_table: interval lengthening per level


_ONE_LEVEL, _LAST_STABLE, _BASELINE = 0, 1, 2
_RESTORE_CODES = {
    RestoreTo.ONE_LEVEL: _ONE_LEVEL,
    RestoreTo.LAST_STABLE: _LAST_STABLE,
    RestoreTo.BASELINE: _BASELINE,
}


@per_protocol
def _settings(protocol: Protocol) -> _Settings:
    """The protocol's numbers the compiled steps need (cached per protocol)."""
    taper, det = protocol.taper, protocol.deterioration
    dose_percent, interval_step = ladder.ladder_table(taper)
    return _Settings(
        start_day=float(taper.start_day),
        confirmation_days=float(det.confirmation_days),
        unrepeated_counts=det.unrepeated is Unrepeated.COUNTS,
        restore_and_resume=taper.after_deterioration is AfterDeterioration.RESTORE_AND_RESUME,
        restore_to=_RESTORE_CODES[taper.restore_to],
        stable_assessments=int(det.stable_assessments),
        reference_median=det.reference_statistic is Statistic.MEDIAN,
        renew_after=int(det.renew_reference_after),
        confirm_by_mean=det.confirm_by is ConfirmBy.MEAN_OF_TWO,
        resume_after_days=float(DAYS_PER_WEEK) * (taper.resume_after_weeks or 0),
        every_n_weeks=taper.cadence is Cadence.EVERY_N_WEEKS,
        cadence_days=float(DAYS_PER_WEEK) * (taper.cadence_weeks or 0),
        rescue_dose_g_per_kg=np.nan if taper.rescue is None else float(taper.rescue.dose_g_per_kg),
        assessed_within_days=np.nan
        if det.assessed_within_days is None
        else float(det.assessed_within_days),
        dose_percent=dose_percent,
        interval_step_days=interval_step,
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
def _close_pending(w: EngineState, i: int) -> None:
    w.pending_day[i] = np.nan
    for c in range(w.pending_fired.shape[1]):
        w.pending_fired[i, c] = False
        w.pending_sides[i, c] = 0


@jit_in_place
def _restored_level(w: EngineState, s: _Settings, i: int) -> int:
    """The level a confirmed deterioration returns patient ``i`` to: at least one level
    up (the level that failed is not stable), and further as the protocol says."""
    up = max(int(w.level[i]) - 1, 0)
    if s.restore_to == _BASELINE:
        return 0
    if s.restore_to == _LAST_STABLE:
        return min(up, int(w.stable_level[i]))
    return up


@jit_in_place
def _confirm(
    w: EngineState,
    s: _Settings,
    i: int,
    day: float,
    rescue: bool,
    allowed: Bools,
    error: npt.NDArray[np.int64],
) -> None:
    """A confirmed deterioration: the dose goes back up (see :func:`_restored_level`),
    and a restore (or rescue) is due."""
    _move(w.state, i, TaperState.RESTORED, allowed, error)
    # At the full baseline dose (level 0 in force) an episode is the disease, not a
    # failure of the taper: counted apart, and not the first deterioration.
    w.at_baseline[i] = w.level[i] == 0
    if w.at_baseline[i]:
        w.baseline_episodes[i] += 1
    else:
        w.deteriorations[i] += 1
        if np.isnan(w.first_deterioration_day[i]):
            w.first_deterioration_day[i] = day
    w.level[i] = _restored_level(w, s, i)
    # Stability must be shown again from here: the restored level is the last one shown.
    w.stable_level[i] = min(w.stable_level[i], w.level[i])
    w.quiet_level[i] = -1
    w.quiet_count[i] = 0
    # The reference is renewed from the assessments at the restored dose, once stable.
    w.renewing[i] = s.renew_after > 0
    _forget(w, i)
    if rescue:
        w.rescue_due[i] = True
    else:
        w.restore_due[i] = True
    w.restored_day[i] = day
    _close_pending(w, i)


@jit_in_place
def _refute(w: EngineState, i: int, allowed: Bools, error: npt.NDArray[np.int64]) -> None:
    """A drop that the repeat assessment did not show: back to the interrupted state."""
    resume = w.resume_state[i]
    if resume in (TaperState.TAPERING, TaperState.STABILISED, TaperState.RESTORED):
        _move(w.state, i, resume, allowed, error)
    _close_pending(w, i)


@jit_in_place
def _settle_overdue(
    w: EngineState,
    s: _Settings,
    i: int,
    day: float,
    allowed: Bools,
    error: npt.NDArray[np.int64],
) -> None:
    """A drop whose confirmation window closed without a usable repeat assessment."""
    if w.state[i] == TaperState.CONFIRMING and day > w.pending_day[i] + s.confirmation_days:
        if s.unrepeated_counts:
            _confirm(w, s, i, day, False, allowed, error)
        else:
            _refute(w, i, allowed, error)


@jit_in_place
def _judge(
    w: EngineState,
    r: CriterionArrays,
    s: _Settings,
    i: int,
    day: float,
    allowed: Bools,
    error: npt.NDArray[np.int64],
) -> None:
    """Turn patient ``i``'s latest criteria into a confirmation, a deterioration or a rescue."""
    state, pending_fired, fired = w.state, w.pending_fired, w.evaluation.fired
    if severe_verdict(i, fired, r.rescue):
        # Severe deterioration needs no confirmation: rescue at the next infusion.
        _confirm(w, s, i, day, True, allowed, error)
        return
    drop = drop_verdict(i, fired, r.rescue, r.combine_all)
    if state[i] == TaperState.CONFIRMING:
        # A repeat assessment confirms if the same drop shows again; it refutes only if
        # every criterion that fired first could be judged again and none fired.
        if repeat_verdict(i, w.evaluation, pending_fired, w.pending_sides, r.rescue, r.combine_all):
            _confirm(w, s, i, day, False, allowed, error)
            return
        for c in range(fired.shape[1]):
            if (
                pending_fired[i, c]
                and (w.evaluation.judged_sides[i, c] & w.pending_sides[i, c]) == 0
            ):
                return  # the side that dropped not re-judged yet: the confirmation waits
        _refute(w, i, allowed, error)
        # Refuted; a drop of another criterion at this assessment opens its own
        # confirmation below.
    opens = state[i] in (TaperState.TAPERING, TaperState.STABILISED, TaperState.RESTORED)
    # A drop is a new episode only once any restore or rescue already decided has been
    # given: until then the same weakness would be counted twice.
    if not (drop and opens) or w.restore_due[i] or w.rescue_due[i]:
        return
    if s.confirmation_days == 0.0:  # no confirmation window: confirmed at once
        _confirm(w, s, i, day, False, allowed, error)
        return
    w.resume_state[i] = state[i]
    _move(state, i, TaperState.CONFIRMING, allowed, error)
    w.pending_day[i] = day
    for c in range(fired.shape[1]):
        pending_fired[i, c] = fired[i, c]
        w.pending_sides[i, c] = w.evaluation.fired_sides[i, c]


@jit_in_place
def _note_stability(
    w: EngineState, r: CriterionArrays, s: _Settings, i: int, day: float, values: Floats
) -> None:
    """Count patient ``i``'s latest assessment towards stability at the level in force.

    Quiet: every deterioration criterion judged, none fired (nor a rescue criterion),
    and no restore pending. ``stable_assessments`` quiet assessments in a row at one
    level show the patient stable at it; anything else starts the count again. After a
    restore, ``renew_after`` quiet assessments in a row renew the reference from them.
    """
    fired, worsening = w.evaluation.fired, w.evaluation.worsening
    quiet = not (w.restore_due[i] or w.rescue_due[i])
    for c in range(fired.shape[1]):
        if fired[i, c] or (not r.rescue[c] and np.isnan(worsening[i, c])):
            quiet = False
    if not quiet or w.quiet_level[i] != w.level[i]:
        w.quiet_level[i] = w.level[i] if quiet else -1
        w.quiet_count[i] = 0
        if w.renewing[i]:
            _forget(w, i)  # "in a row": start collecting again
        if not quiet:
            return
    w.quiet_count[i] += 1
    if w.quiet_count[i] >= s.stable_assessments:
        w.stable_level[i] = w.level[i]
    if w.renewing[i]:
        _keep(w, i, values)
        if w.quiet_count[i] >= s.renew_after:
            _summarize(w, s, i)
            w.renewing[i] = False
            w.renewed_day[i] = day


@jit_in_place
def _keep(w: EngineState, i: int, values: Floats) -> None:
    """Keep patient ``i``'s measured values among the last N of each series."""
    recent, count, slot = w.recent, w.recent_count, w.recent_next
    size = recent.shape[2]
    for j in range(values.shape[1]):
        if np.isnan(values[i, j]):
            continue
        recent[i, j, slot[i, j]] = values[i, j]
        slot[i, j] = (slot[i, j] + 1) % size
        count[i, j] = min(count[i, j] + 1, size)


@jit_in_place
def _forget(w: EngineState, i: int) -> None:
    """Empty patient ``i``'s kept values (a renewed reference starts from none)."""
    for j in range(w.recent_count.shape[1]):
        w.recent_count[i, j] = 0
        w.recent_next[i, j] = 0


@jit_in_place
def _summarize(w: EngineState, s: _Settings, i: int) -> None:
    """The reference of each series with kept values: their mean (or median)."""
    for j in range(w.recent_count.shape[1]):
        if w.recent_count[i, j] > 0:
            kept = w.recent[i, j, : w.recent_count[i, j]]
            w.pre_taper[i, j] = _median(kept) if s.reference_median else np.mean(kept)


@jit_in_place
def _ranked(values: Floats, rank: int) -> float:
    """The value of rank ``rank`` (0 = smallest) among a few ``values``, without sorting
    them (compiled code keeps to the arrays it is given)."""
    for x in values:
        below = equal = 0
        for y in values:
            below += y < x
            equal += y == x
        if below <= rank < below + equal:
            return float(x)
    return np.nan


@jit_in_place
def _median(values: Floats) -> float:
    """The median of a few values: the middle one, or the mean of the middle two."""
    k = values.shape[0]
    return 0.5 * (_ranked(values, (k - 1) // 2) + _ranked(values, k // 2))


@jit_in_place
def _observe_all(
    w: EngineState,
    r: CriterionArrays,
    s: _Settings,
    day: Floats,
    values: Floats,
    where: Bools,
    allowed: Bools,
    error: npt.NDArray[np.int64],
) -> None:
    state, pre_taper, best = w.state, w.pre_taper, w.best
    for i in range(state.shape[0]):
        if not where[i] or state[i] == TaperState.WITHDRAWN:
            continue
        _settle_overdue(w, s, i, day[i], allowed, error)
        if state[i] == TaperState.RUN_IN and day[i] > s.start_day:
            _move(state, i, TaperState.TAPERING, allowed, error)
        if state[i] == TaperState.RUN_IN:  # before the taper: the pre-taper reference
            _keep(w, i, values)
            _summarize(w, s, i)
            for c in range(r.series_index.shape[0]):
                if criterion_measured(i, c, values, r):
                    w.assessed_day[i, c] = day[i]
        else:
            evaluate_patient(i, values, pre_taper, best, r, w.evaluation)
            if (
                s.confirm_by_mean
                and state[i] == TaperState.CONFIRMING
                and not severe_verdict(i, w.evaluation.fired, r.rescue)
            ):
                # The repeat is judged by the mean of the first and the repeat values (a
                # value missing at either makes its mean missing: not judged again).
                for j in range(values.shape[1]):
                    w.pending_values[i, j] = 0.5 * (w.pending_values[i, j] + values[i, j])
                evaluate_patient(i, w.pending_values, pre_taper, best, r, w.evaluation)
            w.evaluation_day[i] = day[i]
            for c in range(r.series_index.shape[0]):
                if not np.isnan(w.evaluation.worsening[i, c]):
                    w.assessed_day[i, c] = day[i]
            _judge(w, r, s, i, day[i], allowed, error)
            if state[i] == TaperState.CONFIRMING and w.pending_day[i] == day[i]:
                for j in range(values.shape[1]):  # the first values of a drop to confirm
                    w.pending_values[i, j] = values[i, j]
            _note_stability(w, r, s, i, day[i], values)
        # Best on study counts from day 0 and includes this assessment for the next one.
        if day[i] >= 0:
            keep_best(i, best, values, r.series_sign)


@jit_in_place
def _unassessed(
    w: EngineState, r: CriterionArrays, s: _Settings, i: int, day: float, out: Bools
) -> bool:
    """Mark in row ``i`` of ``out`` each deterioration criterion not assessed in time for a
    taper step on ``day``; return whether any is. In time: within the protocol's window
    before ``day``, or else after the last step (for the first step: at all, before the
    taper). A criterion that could not be judged does not count as assessed."""
    since = w.last_step_day[i]
    if not np.isnan(s.assessed_within_days):
        since = day - s.assessed_within_days - 0.5  # the window's first day counts
    missing = False
    for c in range(r.series_index.shape[0]):
        assessed = w.assessed_day[i, c]
        late = np.isnan(assessed) or (not np.isnan(since) and assessed <= since)
        out[i, c] = late and not r.rescue[c]
        missing = missing or out[i, c]
    return missing


@jit_in_place
def _decide_all(
    w: EngineState,
    r: CriterionArrays,
    s: _Settings,
    day: Floats,
    weight_kg: Floats,
    where: Bools,
    allowed: Bools,
    error: npt.NDArray[np.int64],
    out: Decision,
) -> None:
    state, level, max_level = w.state, w.level, w.max_level
    baseline_intensity, baseline_interval = w.baseline_intensity, w.baseline_interval_days
    last_step_day, restore_due, rescue_due = w.last_step_day, w.restore_due, w.rescue_due
    dose, interval, intensity = out.dose_g, out.interval_days, out.intensity_g_per_kg_week
    percent, reduction = out.percent_of_baseline, out.reduction_percent
    for i in range(state.shape[0]):
        out.day[i] = day[i] if where[i] else np.nan
        act = Action.NONE
        dose[i] = interval[i] = intensity[i] = percent[i] = reduction[i] = np.nan
        for c in range(out.unassessed.shape[1]):
            out.unassessed[i, c] = False
        if where[i] and state[i] != TaperState.WITHDRAWN:
            _settle_overdue(w, s, i, day[i], allowed, error)
            if state[i] == TaperState.RUN_IN and day[i] >= s.start_day:
                _move(state, i, TaperState.TAPERING, allowed, error)
            act = Action.BASELINE if state[i] == TaperState.RUN_IN else Action.HOLD
            # K stable weeks since the restore
            rested = day[i] - w.restored_day[i] >= s.resume_after_days
            waiting = restore_due[i] or rescue_due[i]
            if s.restore_and_resume and state[i] == TaperState.RESTORED and rested and not waiting:
                _move(state, i, TaperState.TAPERING, allowed, error)
            if state[i] == TaperState.TAPERING:
                since = day[i] - last_step_day[i]
                if not s.every_n_weeks or np.isnan(since) or since >= s.cadence_days:
                    if level[i] >= max_level[i]:
                        _move(state, i, TaperState.STABILISED, allowed, error)
                    # Missing data never lowers a dose: hold, marking what is missing.
                    elif not _unassessed(w, r, s, i, day[i], out.unassessed):
                        level[i] += 1
                        act = Action.REDUCE
                        last_step_day[i] = day[i]
            rescue = rescue_due[i]
            if restore_due[i] or rescue:
                act = Action.RESCUE if rescue else Action.RESTORE
                restore_due[i] = rescue_due[i] = False
                # A resumed taper waits a full cadence after a restore.
                last_step_day[i] = day[i]
            dose[i], interval[i] = ladder.regimen_at(
                level[i],
                baseline_intensity[i],
                baseline_interval[i],
                weight_kg[i],
                s.dose_percent,
                s.interval_step_days,
            )
            if rescue and not np.isnan(s.rescue_dose_g_per_kg):
                dose[i] = s.rescue_dose_g_per_kg * weight_kg[i]
                interval[i] = baseline_interval[i]
            intensity[i] = ladder.dose_intensity_at(dose[i], weight_kg[i], interval[i])
            percent[i] = 100.0 * intensity[i] / baseline_intensity[i]
            reduction[i] = 100.0 - percent[i]
        out.action[i] = act
        out.state[i] = state[i]
        out.level[i] = level[i]


@jit_in_place
def _withdraw_all(
    w: EngineState, day: Floats, where: Bools, allowed: Bools, error: npt.NDArray[np.int64]
) -> None:
    for i in range(w.state.shape[0]):
        if where[i] and w.state[i] != TaperState.WITHDRAWN:
            _move(w.state, i, TaperState.WITHDRAWN, allowed, error)
            w.withdrawn_day[i] = day[i]


# --- the public events ---


def _inputs(w: EngineState, day: Floats, where: Bools) -> tuple[Floats, Bools]:
    n = w.n_patients
    day_in = np.ascontiguousarray(np.broadcast_to(np.asarray(day, dtype=np.float64), (n,)))
    return day_in, np.ascontiguousarray(np.asarray(where, dtype=bool))


def _concerns(state: EngineState, where: Bools) -> bool:
    return bool((np.asarray(where, dtype=bool) & (state.state != TaperState.WITHDRAWN)).any())


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
        w,
        compile_rules(protocol).arrays,
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
    _withdraw_all(w, day_in, where_in, ALLOWED_TABLE, error)
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
    (reduce when a step is due, a lower level exists and every deterioration criterion's
    measure was assessed in time, else hold; ``Decision.unassessed`` says what is missing).
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
        unassessed=np.empty((n, compile_rules(protocol).n_criteria), dtype=bool),
    )
    error = np.full(3, -1, dtype=np.int64)
    _decide_all(
        w,
        compile_rules(protocol).arrays,
        _settings(protocol),
        day_in,
        np.ascontiguousarray(np.broadcast_to(np.asarray(weight_kg, dtype=np.float64), (n,))),
        where_in,
        ALLOWED_TABLE,
        error,
        decision,
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
