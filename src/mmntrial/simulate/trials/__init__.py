"""The trial runner: virtual patients through the protocol engine, many trials at a time.

- :mod:`~mmntrial.simulate.trials.patients`: drawing virtual patients and their allocation.
- :mod:`~mmntrial.simulate.trials.disease`: exposure, dose need, deficit, drug onset,
  measures.
- :mod:`~mmntrial.simulate.trials.course`: the event loop through the protocol engine;
  :mod:`~mmntrial.simulate.trials.course_step`: its time-moving half, compiled with numba
  (:mod:`mmntrial._jit`).
- :mod:`~mmntrial.simulate.trials.runner`: ``run_trials``, ``run_chunk``,
  ``TrialResults`` (re-exported here).
- :mod:`~mmntrial.simulate.trials.summary`: ``DesignSummary`` and ``ArmSummary``, the
  typed summary of a design's trials (re-exported here).
- :mod:`~mmntrial.simulate.trials.fisher`: Fisher exact p-values from lookup tables.
- :mod:`~mmntrial.simulate.trials.one_trial`: one trial as a full dataset;
  :mod:`~mmntrial.simulate.trials.safety_rows`: its adverse events;
  :mod:`~mmntrial.simulate.trials.lab_values`: its laboratory values.
"""

from mmntrial.simulate.trials.runner import (
    TrialResults,
    arm_roles,
    check_arguments,
    run_chunk,
    run_trials,
    summarize_trials,
)
from mmntrial.simulate.trials.summary import ArmSummary, DesignSummary

__all__ = [
    "ArmSummary",
    "DesignSummary",
    "TrialResults",
    "arm_roles",
    "check_arguments",
    "run_chunk",
    "run_trials",
    "summarize_trials",
]
