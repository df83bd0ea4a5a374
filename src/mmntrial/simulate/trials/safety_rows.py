"""Adverse events of a simulated trial, for its dataset.

The events that change a patient's course were drawn with the patient (leukopenia,
which interrupts the study drug; discontinuation for side effects, which ends the
trial for them; see :mod:`mmntrial.simulate.trials.patients`). Here they become rows, and the
events that change nothing in the model (infections, GI upset) are drawn from the
dataset's own stream. Rates are the population's ``[drug]`` section [S47, S48].

The laboratory values are :mod:`mmntrial.simulate.trials.lab_values`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mmntrial.simulate.population.model import Population
from mmntrial.simulate.trials.patients import Patients
from mmntrial.units import DAYS_PER_YEAR, Floats


def adverse_events(
    population: Population, patients: Patients, follow_up_days: Floats, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """Adverse-event rows (``subject_id`` holds the patient's index; the caller names it)."""
    drug = population.drug
    rows: list[dict[str, Any]] = []

    def add(p: int, term: str, onset: float, **fields: Any) -> None:
        rows.append(
            {
                "subject_id": p,
                "ae_id": f"AE-{len(rows) + 1:04d}",
                "term": term,
                "day_onset": int(onset),
                **fields,
            }
        )

    for p in range(patients.n):
        end = float(follow_up_days[p])
        on_drug = bool(patients.on_drug[p])
        leukopenia = float(patients.leukopenia_day[p])
        if leukopenia <= end:
            add(
                p,
                "neutrophil count decreased",
                leukopenia,
                day_resolved=int(patients.interruption_end_day[p]),
                grade=int(rng.choice([2, 3], p=[0.7, 0.3])),
                serious=False,
                related_to="study_drug",
                action_taken="interrupted",
            )
        stop = float(patients.discontinuation_day[p])
        if stop <= end and stop <= patients.dropout_day[p]:
            add(
                p,
                str(rng.choice(["diarrhoea", "nausea", "fatigue"])),
                stop,
                day_resolved=None,
                grade=2,
                serious=False,
                related_to="study_drug",
                action_taken="discontinued",
            )
        rate = (
            drug.infection_rate_per_year_drug if on_drug else drug.infection_rate_per_year_placebo
        )
        for _ in range(int(rng.poisson(rate * end / DAYS_PER_YEAR))):
            onset = float(rng.integers(0, max(int(end), 1)))
            serious = bool(rng.random() < drug.serious_infection_fraction)
            add(
                p,
                "infection",
                onset,
                day_resolved=int(onset) + int(rng.integers(5, 21)),
                grade=3 if serious else 2,
                serious=serious,
                related_to="none",
                action_taken="none",
            )
        chance = drug.gi_upset_probability_drug if on_drug else drug.gi_upset_probability_placebo
        if rng.random() < chance * min(end / DAYS_PER_YEAR, 1.0):
            onset = float(rng.integers(0, max(int(end), 1)))
            add(
                p,
                "diarrhoea",
                onset,
                day_resolved=int(onset) + int(rng.integers(3, 15)),
                grade=1,
                serious=False,
                related_to="study_drug",
                action_taken="none",
            )
    return rows


__all__ = ["adverse_events"]
