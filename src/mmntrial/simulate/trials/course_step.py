"""One step of the trial course: every patient to their own next event, compiled.

:func:`mmntrial.simulate.trials.course.run_course` alternates between this step (time moves;
kinetics, dose need and harm in closed form) and the events of the day it reaches
(assessments, withdrawals and infusions, decided by the protocol engine). This module
is the time-moving half, one compiled loop over patients (see :mod:`mmntrial._jit`); each
formula is the disease model's own per-patient function
(:func:`~mmntrial.simulate.trials.disease.advance_patient`, ``deficit_at``, ``onset_at``,
``days_above_patient``), so there is one implementation of the model.

The rule for "next event" is the course's: each active patient's next event is the
earliest of their next visit, repeat visit, infusion (if before the last day) and
leaving day. Scheduled visits fall on the same study day for everyone and act as a
barrier: while any patient has an event before the next visit, only those events
happen; then every patient whose next event is that visit moves to it together.
A patient with nothing left is carried to the last day, and the regimen level in force
on the primary endpoint day is kept as soon as a patient's next event is later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mmntrial._jit import jit_in_place
from mmntrial.simulate.trials.disease import (
    advance_patient,
    days_above_patient,
    deficit_at,
    onset_at,
)

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]

HARM_POINTS = 5  # points per step where the deficit is judged against the harm threshold


@dataclass(frozen=True, eq=False)
class Schedule:
    """When each patient's events fall: arrays changed in place by the course."""

    visit_day: Floats  # the protocol's visit days, then +inf
    end_day: float
    primary_day: float
    visit_index: Ints  # next scheduled visit, per patient
    repeat_day: Floats  # confirmation visit due (inf: none)
    next_infusion: Floats
    leave: Floats  # dropout or discontinuation day (inf: stays)
    active: Bools


@dataclass(frozen=True, eq=False)
class Body:
    """The model's per-patient state and parameters (see :mod:`.disease`)."""

    effect_modes: Floats  # (3, n), changed in place
    pk_modes: Floats  # (2, n), changed in place
    rates: Floats  # (3, n)
    need_base: Floats  # dose need without the drug (g/L)
    on_drug: Bools
    leukopenia_day: Floats
    interruption_end_day: Floats
    onset_tau_days: float
    effect: float  # fraction of the need the drug removes at full onset
    harm: Floats  # deficit at which the patient is harmed


def step(
    schedule: Schedule,
    body: Body,
    t: Floats,
    need_now: Floats,
    level: npt.NDArray[np.int16],
    level_at_primary: Ints,
    days_harmed: Floats,
    moving: Bools,
) -> bool:
    """Move every patient to their next event; return whether any patient has one.

    Changes in place: ``t``, ``need_now`` (the need on day ``t``), the exposure in
    ``body``, ``schedule.active`` (patients with nothing left leave the loop),
    ``level_at_primary`` (from ``level`` once the primary day is passed),
    ``days_harmed`` (days spent at or above the harm deficit), and ``moving`` (the
    patients whose event is on their new ``t``).
    """
    n = t.shape[0]
    return bool(
        _step(
            schedule.visit_day,
            schedule.end_day,
            schedule.primary_day,
            schedule.visit_index,
            schedule.repeat_day,
            schedule.next_infusion,
            schedule.leave,
            schedule.active,
            body.effect_modes,
            body.pk_modes,
            body.rates,
            body.need_base,
            body.on_drug,
            body.leukopenia_day,
            body.interruption_end_day,
            body.onset_tau_days,
            body.effect,
            body.harm,
            t,
            need_now,
            level,
            level_at_primary,
            days_harmed,
            moving,
            np.empty(n),
            np.empty(n),
            np.empty(HARM_POINTS),
        )
    )


@jit_in_place
def need_on(
    day: float,
    i: int,
    need_base: Floats,
    on_drug: Bools,
    leukopenia_day: Floats,
    interruption_end_day: Floats,
    tau: float,
    effect: float,
) -> float:
    """Patient ``i``'s dose need on ``day``: lowered by the drug as its onset rises."""
    if effect == 0.0:
        return float(need_base[i])
    onset = onset_at(day, on_drug[i], leukopenia_day[i], interruption_end_day[i], tau)
    return float(need_base[i] * (1.0 - effect * onset))


@jit_in_place
def _step(
    visit_day: Floats,
    end_day: float,
    primary_day: float,
    visit_index: Ints,
    repeat_day: Floats,
    next_infusion: Floats,
    leave: Floats,
    active: Bools,
    effect_modes: Floats,
    pk_modes: Floats,
    rates: Floats,
    need_base: Floats,
    on_drug: Bools,
    leukopenia_day: Floats,
    interruption_end_day: Floats,
    tau: float,
    effect: float,
    harm: Floats,
    t: Floats,
    need_now: Floats,
    level: npt.NDArray[np.int16],
    level_at_primary: Ints,
    days_harmed: Floats,
    moving: Bools,
    other: Floats,  # scratch: each patient's earliest unscheduled event
    own_visit: Floats,  # scratch: each patient's next scheduled visit
    samples: Floats,  # scratch: the deficit at the harm points of a step
) -> bool:
    n = t.shape[0]
    barrier = np.inf
    for i in range(n):
        other[i] = own_visit[i] = np.inf
        if active[i]:
            infusion = next_infusion[i] if next_infusion[i] < end_day else np.inf
            other[i] = min(repeat_day[i], infusion, leave[i])
            own_visit[i] = visit_day[visit_index[i]]
            barrier = min(barrier, own_visit[i])
    early = False
    for i in range(n):
        if other[i] < barrier:
            early = True
            break
    any_moving = False
    for i in range(n):
        own_next = min(own_visit[i], other[i])
        if level_at_primary[i] < 0 and own_next > primary_day:
            level_at_primary[i] = level[i]
        if early:
            upcoming = other[i] if other[i] < barrier else np.inf
        else:
            upcoming = barrier if own_next == barrier else np.inf
        moving[i] = upcoming <= end_day
        if moving[i]:
            target = upcoming
            any_moving = True
        elif active[i] and np.isinf(own_next):
            target = end_day  # nothing left: carried to the last day, then out of the loop
            active[i] = False
        else:
            continue
        dt = target - t[i]
        need_next = need_on(
            target, i, need_base, on_drug, leukopenia_day, interruption_end_day, tau, effect
        )
        advance_patient(effect_modes, pk_modes, rates, i, dt, samples)
        for k in range(HARM_POINTS):
            need_k = need_now[i] + (need_next - need_now[i]) * (k / (HARM_POINTS - 1))
            samples[k] = deficit_at(samples[k], need_k)
        days_harmed[i] += days_above_patient(samples, harm[i], dt)
        t[i] = target
        need_now[i] = need_next
    return any_moving


__all__ = ["HARM_POINTS", "Body", "Schedule", "need_on", "step"]
