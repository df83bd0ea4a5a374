"""Laboratory values of a simulated trial: drawn from the population's ``[labs]``, graded.

A healthy value is log-normal around the lab's median with its CV (population
``[labs]``); its log-deviation is a personal set point (drawn once per subject and lab)
plus a visit-to-visit part (``within_subject_variance_fraction`` of the variance), so a
subject low once tends to be low again. Neutrophils and white cells share their draws:
neutrophils are most of the white cells and move with them, so a count never shows more
neutrophils than white cells. In a leukopenia episode of the study drug (its day to the
end of the interruption, :mod:`mmntrial.simulate.trials.patients`) both are low instead.

Every value carries the population's normal range for its lab and is graded against it
by :func:`mmntrial.safety.grade_array_in_range` (CTCAE v5.0 [S50]), as the capture app
grades a saved value: grade 0 when normal. All of it is numpy over the samples: no loop
over rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mmntrial.errors import SimulationError
from mmntrial.measures.labs import LAB_UNITS
from mmntrial.protocol.model import SAFETY_LABS
from mmntrial.safety import UNGRADABLE, grade_array_in_range
from mmntrial.simulate.population.model import Labs
from mmntrial.simulate.trials.patients import Patients
from mmntrial.units import Floats, Ints

COLUMNS = ("subject_id", "day", "test", "value", "unit", "lln", "uln", "grade")
# Decimals of a value as a laboratory reports it (platelets 245, haemoglobin 14.3 g/dL);
# the grade is read from the value as shown, as a site would grade it.
DECIMALS: dict[str, int] = {
    "neutrophils": 2,
    "wbc": 2,
    "platelets": 0,
    "haemoglobin": 1,
    "alt": 0,
    "ast": 0,
    "bilirubin": 0,
    "creatinine": 0,
}
# The labs a leukopenia episode lowers; neutrophils share the white cells' draws.
_WHITE_CELLS = ("neutrophils", "wbc")


@dataclass(frozen=True)
class Samples:
    """Samples that test every lab of ``labs``: one per (``patient[i]``, ``day[i]``)."""

    labs: tuple[str, ...]
    patient: Ints
    day: Ints


def _driver(lab: str) -> str:
    """The lab whose draws ``lab`` uses: the white cells' for neutrophils."""
    return "wbc" if lab in _WHITE_CELLS else lab


def _log_sd(cv: float) -> float:
    return math.sqrt(math.log1p(cv * cv))


def lab_values(
    labs: Labs,
    patients: Patients,
    samples: Sequence[Samples],
    ids: Sequence[str],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The ``labs`` table rows of ``samples`` (docs/dataset.md), graded.

    The set points are drawn for every patient and lab, sampled or not, so that which
    labs a protocol samples does not shift the stream of the others.
    """
    set_point = {lab: rng.standard_normal(patients.n) for lab in SAFETY_LABS}
    share = labs.within_subject_variance_fraction
    frames = []
    for group in samples:
        patient = np.asarray(group.patient, dtype=np.intp)
        day = np.asarray(group.day, dtype=np.int64)
        within = {
            key: rng.standard_normal(patient.size)
            for key in dict.fromkeys(_driver(lab) for lab in group.labs)
        }
        episode = (patients.leukopenia_day[patient] <= day) & (
            day <= patients.interruption_end_day[patient]
        )
        low_neutrophils = rng.uniform(
            labs.leukopenia_neutrophils_min, labs.leukopenia_neutrophils_max, patient.size
        )
        low_wbc = low_neutrophils + rng.uniform(
            labs.leukopenia_other_wbc_min, labs.leukopenia_other_wbc_max, patient.size
        )
        for lab in group.labs:
            draw = labs.of(lab)
            key = _driver(lab)
            z = math.sqrt(1.0 - share) * set_point[key][patient] + math.sqrt(share) * within[key]
            value: Floats = draw.median * np.exp(_log_sd(draw.cv) * z)
            if lab in _WHITE_CELLS:
                low = low_neutrophils if lab == "neutrophils" else low_wbc
                value = np.where(episode, low, value)
            shown = np.round(value, DECIMALS[lab])
            grades = grade_array_in_range(
                lab, shown, lln=draw.lln, uln=draw.uln, unit=LAB_UNITS[lab]
            )
            if (grades == UNGRADABLE).any():
                # The population's ranges and units are the grading table's: a value it
                # cannot grade is a bug, never a row that reads "not graded".
                raise SimulationError(f"{lab}: a simulated value could not be graded")
            frames.append(
                pd.DataFrame(
                    {
                        "patient": patient,
                        "day": day,
                        "order": SAFETY_LABS.index(lab),
                        "test": lab,
                        "value": shown,
                        "unit": LAB_UNITS[lab],
                        "lln": draw.lln,
                        "uln": draw.uln,
                        "grade": grades,
                    }
                )
            )
    if not frames:
        return pd.DataFrame(columns=list(COLUMNS))
    rows = pd.concat(frames, ignore_index=True).sort_values(
        ["patient", "day", "order"], kind="stable"
    )
    rows.insert(0, "subject_id", np.asarray(ids, dtype=object)[rows["patient"].to_numpy()])
    return rows.loc[:, list(COLUMNS)].reset_index(drop=True)


__all__ = ["COLUMNS", "DECIMALS", "Samples", "lab_values"]
