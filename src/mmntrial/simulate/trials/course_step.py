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

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from mmntrial._jit import jit_in_place
from mmntrial.simulate.trials.disease import (
    advance_patient,
    days_above_patient,
    deficit_at,
    onset_at,
)
from mmntrial.units import Bools, Floats, Ints

HARM_POINTS = 5  # points per step where the deficit is judged against the harm threshold

# Schedule, Body and Progress are NamedTuples: numba hands each to the compiled step
# whole, and the step reads its fields by name.


class Schedule(NamedTuple):
    """When each patient's events fall: arrays changed in place by the course."""

    visit_day: Floats  # the protocol's visit days, then +inf
    end_day: float
    primary_day: float
    visit_index: Ints  # next scheduled visit, per patient
    repeat_day: Floats  # confirmation visit due (inf: none)
    next_infusion: Floats
    leave: Floats  # dropout or discontinuation day (inf: stays)
    active: Bools


class Body(NamedTuple):
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


class Progress(NamedTuple):
    """Where each patient is in the course: arrays changed in place by :func:`step`."""

    t: Floats  # the study day each patient has reached
    need_now: Floats  # the dose need on day ``t``
    level: npt.NDArray[np.int16]  # the taper level of the regimen in force
    level_at_primary: Ints  # that level on the primary endpoint day (-1: not yet known)
    days_harmed: Floats  # days spent at or above the harm deficit
    moving: Bools  # the patients whose event is on their new ``t``


class _Scratch(NamedTuple):
    """Working arrays of one step, so that the compiled step allocates none."""

    other: Floats  # each patient's earliest unscheduled event
    own_visit: Floats  # each patient's next scheduled visit
    samples: Floats  # the deficit at the harm points of a step


def step(schedule: Schedule, body: Body, progress: Progress) -> bool:
    """Move every patient to their next event; return whether any patient has one.

    Changes in place: ``progress`` (``t``, ``need_now``, ``level_at_primary`` from
    ``level`` once the primary day is passed, ``days_harmed`` and ``moving``), the
    exposure in ``body``, and ``schedule.active`` (patients with nothing left leave the
    loop).
    """
    n = progress.t.shape[0]
    scratch = _Scratch(other=np.empty(n), own_visit=np.empty(n), samples=np.empty(HARM_POINTS))
    return bool(_step(schedule, body, progress, scratch))


@jit_in_place
def need_on(day: float, i: int, body: Body) -> float:
    """Patient ``i``'s dose need on ``day``: lowered by the drug as its onset rises."""
    if body.effect == 0.0:
        return float(body.need_base[i])
    onset = onset_at(
        day,
        body.on_drug[i],
        body.leukopenia_day[i],
        body.interruption_end_day[i],
        body.onset_tau_days,
    )
    return float(body.need_base[i] * (1.0 - body.effect * onset))


@jit_in_place
def _step(schedule: Schedule, body: Body, progress: Progress, scratch: _Scratch) -> bool:
    end_day, active = schedule.end_day, schedule.active
    t, need_now, level_at_primary = progress.t, progress.need_now, progress.level_at_primary
    moving, other, own_visit = progress.moving, scratch.other, scratch.own_visit
    samples = scratch.samples
    n = t.shape[0]
    barrier = np.inf
    for i in range(n):
        other[i] = own_visit[i] = np.inf
        if active[i]:
            next_infusion = schedule.next_infusion[i]
            infusion = next_infusion if next_infusion < end_day else np.inf
            other[i] = min(schedule.repeat_day[i], infusion, schedule.leave[i])
            own_visit[i] = schedule.visit_day[schedule.visit_index[i]]
            barrier = min(barrier, own_visit[i])
    early = False
    for i in range(n):
        if other[i] < barrier:
            early = True
            break
    any_moving = False
    for i in range(n):
        own_next = min(own_visit[i], other[i])
        if level_at_primary[i] < 0 and own_next > schedule.primary_day:
            level_at_primary[i] = progress.level[i]
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
        need_next = need_on(target, i, body)
        advance_patient(body.effect_modes, body.pk_modes, body.rates, i, dt, samples)
        for k in range(HARM_POINTS):
            need_k = need_now[i] + (need_next - need_now[i]) * (k / (HARM_POINTS - 1))
            samples[k] = deficit_at(samples[k], need_k)
        progress.days_harmed[i] += days_above_patient(samples, body.harm[i], dt)
        t[i] = target
        need_now[i] = need_next
    return any_moving


__all__ = ["HARM_POINTS", "Body", "Progress", "Schedule", "need_on", "step"]
