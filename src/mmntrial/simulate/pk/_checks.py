"""Input checks for the PK functions: each error names the argument, the value and the need."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from mmntrial.errors import SimulationError
from mmntrial.units import Floats as FloatArray

if TYPE_CHECKING:
    from mmntrial.simulate.pk.model import PkParameters


def checked_weights(weight_kg: npt.ArrayLike) -> FloatArray:
    weight = np.asarray(weight_kg, dtype=np.float64)
    if weight.ndim != 1 or not (np.isfinite(weight) & (weight > 0.0)).all():
        raise SimulationError(
            f"weight_kg: got {weight!r:.80}, expected a 1-D array of finite weights > 0 kg"
        )
    return weight


def checked_infusions(
    params: PkParameters, infusion_day: npt.ArrayLike, infusion_dose_g: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Validated (day, dose) arrays (patients x infusions); padding gets dose 0, day NaN."""
    day = np.asarray(infusion_day, dtype=np.float64)
    dose = np.asarray(infusion_dose_g, dtype=np.float64)
    expected = f"({params.n_patients} patients, infusions)"
    for name, value in (("infusion_day", day), ("infusion_dose_g", dose)):
        if value.ndim != 2 or value.shape[0] != params.n_patients or value.shape != day.shape:
            raise SimulationError(f"{name}: got shape {value.shape}, expected {expected} for both")
    if (np.isnan(day) != np.isnan(dose)).any():
        raise SimulationError(
            "infusion_day, infusion_dose_g: got NaN in one but not the other, expected "
            "padding (NaN) in the same places in both"
        )
    if np.isinf(day).any() or np.isinf(dose).any() or (dose < 0.0).any():
        raise SimulationError(
            "infusion_day, infusion_dose_g: got an infinite day or dose or a negative dose, "
            "expected finite days and doses >= 0 g (NaN for padding)"
        )
    return day, np.where(np.isnan(dose), 0.0, dose)


def checked_grid(
    values: npt.ArrayLike, name: str, *, strictly: bool, last_inf: bool = False
) -> FloatArray:
    grid = np.asarray(values, dtype=np.float64)
    inner = grid[:-1] if last_inf and grid.ndim == 1 and grid.size else grid
    steps = np.diff(grid) if grid.ndim == 1 else np.zeros(0)
    ordered = (steps > 0.0).all() if strictly else (steps >= 0.0).all()
    if grid.ndim != 1 or not np.isfinite(inner).all() or np.isnan(grid).any() or not ordered:
        order = "strictly increasing" if strictly else "sorted (non-decreasing)"
        last = ", the last of which may be inf" if last_inf else ""
        raise SimulationError(
            f"{name}: got {grid!r:.80}, expected a 1-D {order} array of days{last}"
        )
    return grid
