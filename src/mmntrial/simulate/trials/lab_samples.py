"""When a simulated trial samples which labs: the protocol's lab schedule, or its visits.

With a ``[safety.lab_schedule]`` the simulator samples the schedule's labs on its due
days (:func:`mmntrial.safety.lab_schedule.due_days`, the code the capture app's lab
calendar uses), exactly on the day, within each patient's follow-up. A protocol without
a schedule keeps neutrophils and WBC at every scheduled visit: the study drug's known
effect on the counts [S47]. Either way every one of the protocol's ``[safety]
graded_labs`` is sampled at the patient's screening, as a site draws its screening
bloods: every graded lab has a value before day 0 for its shift table's baseline, and
the haemoglobin drawn on day 0, days after the last infusion before randomization, has
the pre-infusion value the haemolysis rule compares it with (without it, the rule could
only say, for every patient, that it cannot evaluate).

Either way a leukopenia within follow-up is found by a count (neutrophils and WBC) on
its first day, when no sample was due that day: the patient's course interrupts the
study drug on that day, and the dataset shows the count that made the site do it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mmntrial.protocol.model import Protocol
from mmntrial.safety.lab_schedule import due_days
from mmntrial.simulate.trials.lab_values import Samples
from mmntrial.simulate.trials.patients import Patients
from mmntrial.units import Floats, Ints

_COUNTS = ("neutrophils", "wbc")


def lab_samples(
    protocol: Protocol,
    patients: Patients,
    visits: Sequence[tuple[int, int]],
    follow_up_days: Floats,
    screening_day: Ints,
) -> list[Samples]:
    """The samples of a trial: ``visits`` are the ``(patient, day)`` of its scheduled
    visits, used only when the protocol has no lab schedule; ``screening_day`` is each
    patient's day of screening (before day 0)."""
    schedule = protocol.safety.lab_schedule
    if schedule is None:
        patient = np.array([p for p, _ in visits], dtype=np.intp)
        day = np.array([d for _, d in visits], dtype=np.int64)
        first = Samples(_COUNTS, patient, day)
    else:
        due = np.asarray(due_days(schedule), dtype=np.int64)
        within = due[np.newaxis, :] <= follow_up_days[:, np.newaxis]
        patient, column = np.nonzero(within)
        first = Samples(schedule.labs, patient.astype(np.intp), due[column])
    groups = [first]
    graded = protocol.safety.graded_labs
    if graded:
        everyone = np.arange(patients.n, dtype=np.intp)
        groups.append(Samples(graded, everyone, np.asarray(screening_day, dtype=np.int64)))
    groups.append(_finding(patients, follow_up_days, groups))
    return groups


def _finding(patients: Patients, follow_up_days: Floats, groups: Sequence[Samples]) -> Samples:
    """The count on a leukopenia's first day, for patients with no count due that day."""
    start = patients.leukopenia_day
    found = np.flatnonzero(start <= follow_up_days)
    day: Ints = start[found].astype(np.int64)
    counted = np.zeros(found.size, dtype=bool)
    for group in groups:
        if set(_COUNTS) & set(group.labs):
            sampled = set(zip(group.patient.tolist(), group.day.tolist(), strict=True))
            counted |= np.array(
                [(p, d) in sampled for p, d in zip(found.tolist(), day.tolist(), strict=True)],
                dtype=bool,
            )
    return Samples(_COUNTS, found[~counted].astype(np.intp), day[~counted])


__all__ = ["lab_samples"]
