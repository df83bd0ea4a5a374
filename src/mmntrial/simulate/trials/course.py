"""The course of simulated patients through a trial, event by event, all patients at once.

Each patient has a next event: the next scheduled visit, a confirmation (repeat) visit
when the engine is confirming a drop, the next infusion (the last one plus the interval
the engine decided), or the day they leave the trial. Every iteration moves every active
patient to their own next event, so all patients of all trials in a chunk advance
together, in as many iterations as the busiest patient has events (about 60 for the
reference design). Within a day an assessment comes first, then a withdrawal, then the
infusion due, as in :mod:`mmntrial.engine.replay`.

Between events the kinetics and the disease move in closed form
(:class:`~mmntrial.simulate.trials.disease.Exposure`), so the model does not depend on when it
is observed; that half of each iteration is one compiled loop
(:mod:`~mmntrial.simulate.trials.course_step`). Decisions are the protocol engine's
(:mod:`mmntrial.engine.core`): the simulator never re-implements a rule. The engine
skips the patients an event does not concern at the cost of one test each, so every
event is one engine call over all patients. The loop owns its engine state and never
reuses an old one, so it calls the engine's ``*_in_place`` forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol as TypingProtocol

import numpy as np

from mmntrial.engine import core, ladder
from mmntrial.engine.endpoints import reaches_primary
from mmntrial.engine.rules import compile_rules
from mmntrial.engine.states import Action, TaperState
from mmntrial.errors import SimulationError
from mmntrial.measures.ivig import grams_at_intensity
from mmntrial.protocol.model import Protocol
from mmntrial.simulate.population.model import Population
from mmntrial.simulate.trials.course_step import Body, Progress, Schedule, step
from mmntrial.simulate.trials.disease import (
    MEASURED_SERIES,
    Exposure,
    deficit,
    harm_threshold,
    measured,
    onset_of,
    true_strength,
)
from mmntrial.simulate.trials.patients import Patients
from mmntrial.units import Bools, Floats, Ints

SIMULATED_SERIES = frozenset(MEASURED_SERIES)


class Recorder(TypingProtocol):
    """What the loop reports when a full dataset is wanted (see ``simulate.dataset``)."""

    def assessment(
        self,
        rows: Ints,
        day: Floats,
        visit: Ints,
        values: dict[str, Floats],
        exogenous_igg_g_per_l: Floats,
    ) -> None: ...

    def infusion(self, rows: Ints, day: Floats, decision: core.Decision) -> None: ...

    def engine_change(
        self, day: Floats, before: core.EngineState, after: core.EngineState
    ) -> None: ...

    def withdrawal(self, rows: Ints, day: Floats) -> None: ...


@dataclass(frozen=True)
class Outcome:
    """Per patient, what the trial summary needs."""

    reduction_percent: Floats  # at the primary endpoint day
    responder: Bools
    ivig_g: Floats  # given from day 0 to the end of follow-up
    baseline_ivig_g: Floats  # the baseline regimen over the same days
    follow_up_days: Floats
    deteriorations: Ints  # taper failures: confirmed below the baseline dose
    full_dose_episodes: Ints  # confirmed at the full baseline dose: the disease, not the taper
    days_deteriorated: Floats
    withdrawn: Bools


def check_simulable(protocol: Protocol) -> tuple[str, ...]:
    """The engine's series, after checking that the simulator produces each of them."""
    series = compile_rules(protocol).series
    missing = sorted(set(series) - SIMULATED_SERIES)
    if missing:
        raise SimulationError(
            f"protocol: watches {missing}, expected only simulated measures "
            f"({', '.join(sorted(SIMULATED_SERIES))})"
        )
    if len(protocol.arms) != 2:
        raise SimulationError(
            f"protocol.arms: got {len(protocol.arms)} arms, expected 2 (drug and placebo)"
        )
    return series


def run_course(
    protocol: Protocol,
    population: Population,
    patients: Patients,
    noise: Floats,
    effect: float,
    recorder: Recorder | None = None,
) -> Outcome:
    """Simulate every patient from day 0 to the last visit; return their outcomes.

    Each iteration moves every patient to their next event (:mod:`.course_step`), then
    holds the events of that day: assessments, withdrawals, infusions.
    """
    series = check_simulable(protocol)
    n = patients.n
    visits = protocol.schedule.visits
    collect = np.zeros((len(visits) + 1, len(series)), dtype=bool)
    for i, visit in enumerate(visits):
        collect[i] = [key.split(":")[0] in visit.measures for key in series]
    end_day = float(protocol.schedule.last_day)
    confirmation_days = protocol.deterioration.confirmation_days
    delay = float(min(population.trial.repeat_visit_delay_days, max(confirmation_days, 1)))
    tau_onset = population.drug.onset_time_constant_days
    titre_fall = population.drug.titre_fall_log2_at_full_effect * effect

    model = patients.model()
    exposure = Exposure.steady_state(
        patients, model, patients.interval_days - patients.first_infusion_day
    )
    body = Body(
        effect_modes=exposure.effect_modes,
        pk_modes=exposure.pk.modes_g_per_l,
        rates=exposure.rates,
        need_base=patients.need_g_per_l,
        on_drug=patients.on_drug,
        leukopenia_day=patients.leukopenia_day,
        interruption_end_day=patients.interruption_end_day,
        onset_tau_days=float(tau_onset),
        effect=float(effect),
        harm=harm_threshold(population, patients),
    )
    leave = np.minimum(patients.dropout_day, patients.discontinuation_day)
    schedule = Schedule(
        visit_day=np.array([v.day for v in visits] + [np.inf], dtype=np.float64),
        end_day=end_day,
        primary_day=float(protocol.endpoints.primary.day),
        visit_index=np.zeros(n, dtype=np.int64),
        repeat_day=np.full(n, np.inf),
        next_infusion=patients.first_infusion_day.astype(np.float64),
        leave=np.where(leave <= end_day, leave, np.inf),
        active=np.ones(n, dtype=bool),
    )
    visit_day, visit_index = schedule.visit_day, schedule.visit_index
    repeat_day, next_infusion = schedule.repeat_day, schedule.next_infusion
    state = core.start(protocol, patients.intensity_g_per_kg_week, patients.interval_days)

    t = np.zeros(n)
    need_now = patients.need_g_per_l * (1.0 - effect * onset_of(patients, tau_onset, t))
    start_strength = true_strength(
        population, patients, deficit(exposure.effect_now(), need_now), t
    )
    reference_capacity = start_strength.grip_kpa.mean(axis=1)
    n_assessed = np.zeros(n, dtype=np.int64)
    ivig_g = np.zeros(n)
    days_bad = np.zeros(n)
    follow_up = np.full(n, end_day)
    # The level of the regimen in force: the last regular dose given. Not the engine's
    # own level, which a confirmed deterioration changes before the restored dose is
    # given; and a rescue dose is one-off (the endpoint rule of engine.endpoints and of
    # analysis.endpoints).
    given_level = state.level.copy()
    level_at_primary = np.full(n, -1, dtype=np.int64)
    moving = np.zeros(n, dtype=bool)
    progress = Progress(
        t=t,
        need_now=need_now,
        level=given_level,
        level_at_primary=level_at_primary,
        days_harmed=days_bad,
        moving=moving,
    )
    max_assessments = noise.shape[0]

    while step(schedule, body, progress):
        assessing = moving & ((visit_day[visit_index] == t) | (repeat_day == t))
        if assessing.any():
            at_visit = assessing & (visit_day[visit_index] == t)
            wanted = np.zeros((n, collect.shape[1]), dtype=bool)
            visiting = np.flatnonzero(at_visit)
            wanted[visiting] = collect[visit_index[visiting]]
            wanted |= (assessing & (repeat_day == t))[:, None]
            strength = true_strength(
                population, patients, deficit(exposure.effect_now(), need_now), t
            )
            titre = patients.titre0_log2
            if titre_fall:
                titre = titre - titre_fall * onset_of(patients, tau_onset, t)
            # Only the assessed rows' noise is read (the others are masked to NaN below):
            # gathering it for every patient was a sixth of the course's time.
            rows = np.flatnonzero(assessing)
            noisy = np.zeros((n, noise.shape[2]))
            noisy[rows] = noise[np.minimum(n_assessed[rows], max_assessments - 1), rows]
            values = measured(population, patients, strength, reference_capacity, titre, noisy)
            matrix = np.column_stack([values[key] for key in series])
            matrix = np.where(wanted, matrix, np.nan)
            before = state.copy() if recorder is not None else state
            core.observe_in_place(protocol, state, t, matrix, assessing)
            if recorder is not None:
                shown = np.where(at_visit, visit_index, -1)
                exogenous = exposure.pk.concentration_g_per_l()
                recorder.assessment(np.flatnonzero(assessing), t, shown, values, exogenous)
                recorder.engine_change(t, before, state)
            repeat_day[assessing & (repeat_day == t)] = np.inf
            if confirmation_days > 0:
                fresh = assessing & (state.state == TaperState.CONFIRMING)
                fresh &= (state.pending_day == t) & (t + delay <= end_day)
                repeat_day[fresh] = t[fresh] + delay
            visit_index += at_visit
            n_assessed += assessing

        leaving = moving & (schedule.leave == t)
        if leaving.any():
            core.withdraw_in_place(state, t, leaving)
            schedule.active[leaving] = False
            follow_up[leaving] = t[leaving]
            if recorder is not None:
                recorder.withdrawal(np.flatnonzero(leaving), t)

        infusing = moving & (next_infusion == t) & ~leaving
        if infusing.any():
            before = state.copy() if recorder is not None else state
            decision = core.decide_in_place(protocol, state, t, patients.weight_kg, infusing)
            dose = np.where(infusing, decision.dose_g, 0.0)
            exposure.add_dose(model, dose)
            ivig_g += dose
            next_infusion[infusing] = t[infusing] + decision.interval_days[infusing]
            regular = (
                infusing & (decision.action != Action.RESCUE) & (decision.action != Action.NONE)
            )
            given_level[regular] = decision.level[regular]
            if recorder is not None:
                recorder.infusion(np.flatnonzero(infusing), t, decision)
                recorder.engine_change(t, before, state)

    level_at_primary = np.where(level_at_primary < 0, given_level, level_at_primary)
    return _outcome(protocol, patients, state, level_at_primary, ivig_g, follow_up, days_bad)


def _outcome(
    protocol: Protocol,
    patients: Patients,
    state: core.EngineState,
    level_at_primary: Ints,
    ivig_g: Floats,
    follow_up: Floats,
    days_bad: Floats,
) -> Outcome:
    percent = ladder.level_percent(
        protocol.taper, level_at_primary.astype(np.int16), patients.interval_days
    )
    reduction = np.asarray(100.0 - percent, dtype=np.float64)
    primary = protocol.endpoints.primary
    withdrawn = state.state == TaperState.WITHDRAWN
    reached = reaches_primary(primary, reduction, withdrawn & (state.withdrawn_day < primary.day))
    baseline_g = grams_at_intensity(patients.intensity_g_per_kg_week, patients.weight_kg, follow_up)
    return Outcome(
        reduction_percent=reduction,
        responder=reached,
        ivig_g=ivig_g,
        baseline_ivig_g=baseline_g,
        follow_up_days=follow_up,
        deteriorations=state.deteriorations.astype(np.int64),
        full_dose_episodes=state.baseline_episodes.astype(np.int64),
        days_deteriorated=days_bad,
        withdrawn=withdrawn,
    )


__all__ = ["SIMULATED_SERIES", "Outcome", "Recorder", "check_simulable", "run_course"]
