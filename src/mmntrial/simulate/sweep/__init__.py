"""Sweeps: a grid of designs, simulated in chunks here or on a Dask cluster.

- :mod:`~mmntrial.simulate.sweep.grid`: design grids as data (axes and design points).
- :mod:`~mmntrial.simulate.sweep.execute`: chunks of trials as tasks, run in this
  process or on Dask, with results independent of the number of workers.
- :mod:`~mmntrial.simulate.sweep.run`: sweep plans and files, running a sweep and its
  summary table (re-exported here).
"""

from mmntrial.simulate.sweep.run import (
    SWEEP_DEFAULTS,
    SweepPlan,
    SweepResult,
    load_sweep,
    make_plan,
    point_summary,
    run_sweep,
)

__all__ = [
    "SWEEP_DEFAULTS",
    "SweepPlan",
    "SweepResult",
    "load_sweep",
    "make_plan",
    "point_summary",
    "run_sweep",
]
