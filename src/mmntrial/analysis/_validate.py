"""Input checks shared by the tests: arrays, arm labels, levels.

Every check raises :class:`AnalysisError` with the argument's name, the value received
and what was expected, so a caller sees which column of which table is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mmntrial.errors import AnalysisError

# The level check belongs to the base layer (the simulator needs it too); the analysis
# modules keep importing it from here.
from mmntrial.intervals import check_level as check_level


def _preview(values: NDArray[np.generic], limit: int = 5) -> str:
    shown = ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in values[:limit])
    return f"[{shown}{', ...' if len(values) > limit else ''}]"


def float_array(name: str, values: ArrayLike) -> NDArray[np.float64]:
    """A one-dimensional float array with no NaN or infinity."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AnalysisError(f"{name}: got values that are not numbers ({exc})") from exc
    if array.ndim != 1:
        raise AnalysisError(f"{name}: got an array of shape {array.shape}, expected one dimension")
    bad = ~np.isfinite(array)
    if bad.any():
        where = np.flatnonzero(bad)
        raise AnalysisError(
            f"{name}: got {int(bad.sum())} missing or infinite value(s) at position(s) "
            f"{_preview(where)}, expected finite numbers; drop or impute those rows first, "
            "as the analysis plan says"
        )
    return array


def bool_array(name: str, values: ArrayLike) -> NDArray[np.bool_]:
    """A one-dimensional array of responder flags: booleans or 0/1, nothing else."""
    raw = np.asarray(values, dtype=object)
    if raw.ndim != 1:
        raise AnalysisError(f"{name}: got an array of shape {raw.shape}, expected one dimension")
    # NaN equals nothing, so a missing flag fails the membership test and is reported here;
    # strings are refused so that "0" is not silently read as a responder.
    wrong = np.array([isinstance(v, str) or v not in (0, 1) for v in raw], dtype=bool)
    if wrong.any():
        raise AnalysisError(
            f"{name}: got {_preview(raw[wrong])}, expected True/False or 1/0 for every subject"
        )
    return raw.astype(bool)


def label_array(name: str, labels: ArrayLike, length: int) -> NDArray[np.object_]:
    """Arm labels as strings, as many as there are values."""
    array = np.asarray(labels, dtype=object)
    if array.ndim != 1 or len(array) != length:
        raise AnalysisError(f"{name}: got {array.size} label(s), expected one per value ({length})")
    missing = np.array([not isinstance(v, str) for v in array], dtype=bool)
    if missing.any():
        raise AnalysisError(
            f"{name}: got {_preview(array[missing])}, expected an arm label (a string) per row"
        )
    return array


def check_arms(name: str, labels: NDArray[np.object_], arms: Sequence[str]) -> None:
    """Every label is one of the named arms, and every named arm has at least one row."""
    if len(arms) < 2 or len(set(arms)) != len(arms):
        raise AnalysisError(f"arms: got {list(arms)!r}, expected at least two distinct arm labels")
    unknown = sorted({str(v) for v in labels} - set(arms))
    if unknown:
        raise AnalysisError(
            f"{name}: got label(s) {unknown!r}, expected only {list(arms)!r}; select the rows "
            "of the arms to compare first"
        )
    for arm in arms:
        if not (labels == arm).any():
            raise AnalysisError(
                f"{name}: arm {arm!r} has no rows, expected at least one subject per arm"
            )


def split_two_arms(
    name: str,
    values: NDArray[np.float64],
    arm: ArrayLike,
    treatment: str,
    control: str,
    minimum: int = 1,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The values of the treatment arm and of the control arm, each at least ``minimum``."""
    labels = label_array("arm", arm, len(values))
    check_arms("arm", labels, (treatment, control))
    treated = values[labels == treatment]
    controls = values[labels == control]
    for label, group in ((treatment, treated), (control, controls)):
        if len(group) < minimum:
            raise AnalysisError(
                f"{name}: arm {label!r} has {len(group)} value(s), expected at least {minimum}"
            )
    return treated, controls
