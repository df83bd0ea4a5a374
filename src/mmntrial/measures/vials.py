"""Dispensing a dose in whole vials: the amount a site can give for the engine's dose.

The engine's dose is exact grams (an intensity times a weight and an interval); a
pharmacy dispenses whole vials of the sizes the site stocks (e.g. 2.5, 5, 10 and 20 g).
The rule, applied by :func:`dispense`:

1. The dispensable amounts are the sums of whole vials of the stocked sizes, any number
   of each (with 2.5 g vials: every multiple of 2.5 g; with 5 and 20 g only: multiples
   of 5 g).
2. ``nearest``: the dispensable amount nearest the engine's dose; a tie goes up. Under-
   dosing is what the trial watches for (a weakness that may not fully come back), while
   a gram or two more of immunoglobulin has no known harm: between two equally near
   amounts the higher one is the safer error.
3. ``at_least``: the smallest dispensable amount not below the engine's dose. The caller
   asks for it while a dose restored after a deterioration is in force (the restore, a
   rescue, and the holds at the restored level): a lower dose is the one the patient got
   worse on, so the rounding must not give back part of the restore.
4. The chosen amount may differ from the engine's dose by at most ``tolerance_percent``
   of it. When it would differ more there is no dispensable dose: the result says so
   (``amount_g`` is None) with the nearest amounts below and above, and the investigator
   decides, as an override of the engine (:mod:`mmntrial.engine.deviation`).
5. The vials: the fewest that make the amount (the fewest to open and to waste).

A dose of 0 g (a taper to nothing) is dispensed as no vial. Sizes are whole multiples of
0.01 g, so the arithmetic runs on whole numbers and 30.000000000000004 g (a dose reached
through floating point) is 30 g.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from mmntrial.errors import MeasureError

MAX_VIAL_G = 100.0
"""The largest vial size accepted; the largest immunoglobulin vials hold 40 g, so a
larger number is a typing error (grams typed as milligrams)."""
MAX_TOLERANCE_PERCENT = 50.0
_CENTIGRAMS = 100  # vial sizes are whole multiples of 0.01 g
_SNAP = 1e-6  # a dose within a millionth of a unit of a whole number of units is on it


class Rounding(StrEnum):
    """Which dispensable amount stands for the engine's dose (see the module docstring)."""

    NEAREST = "nearest"
    AT_LEAST = "at_least"


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _checked_sizes(sizes: object) -> tuple[float, ...]:
    expected = (
        f"a list of vial sizes in grams, each above 0 and at most {MAX_VIAL_G:g} g, "
        "in steps of 0.01 g (e.g. [2.5, 5, 10, 20])"
    )
    if isinstance(sizes, str | bytes) or not isinstance(sizes, Iterable):
        raise MeasureError(f"vial_sizes_g: got {sizes!r}, expected {expected}")
    values = list(sizes)
    if not values:
        raise MeasureError(f"vial_sizes_g: got an empty list, expected {expected}")
    for size in values:
        if not _is_real(size) or not 0.0 < float(size) <= MAX_VIAL_G:
            bad = True
        else:
            centigrams = float(size) * _CENTIGRAMS
            bad = abs(centigrams - round(centigrams)) > _SNAP
        if bad:
            raise MeasureError(f"vial_sizes_g: got {size!r} among {values!r}, expected {expected}")
    distinct = {round(float(size) * _CENTIGRAMS) / _CENTIGRAMS for size in values}
    return tuple(sorted(distinct, reverse=True))


@dataclass(frozen=True)
class SiteVials:
    """The vial sizes a site stocks and how far a dispensed dose may be from the engine's.

    >>> SiteVials((5, 20, 2.5, 10), 5).sizes_g
    (20.0, 10.0, 5.0, 2.5)
    >>> SiteVials((5, 0), 5)
    Traceback (most recent call last):
    ...
    mmntrial.errors.MeasureError: vial_sizes_g: got 0 among [5, 0], expected a list of ...
    """

    sizes_g: tuple[float, ...]
    tolerance_percent: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "sizes_g", _checked_sizes(self.sizes_g))
        tolerance = self.tolerance_percent
        if not _is_real(tolerance) or not 0.0 <= float(tolerance) <= MAX_TOLERANCE_PERCENT:
            raise MeasureError(
                f"tolerance_percent: got {tolerance!r}, expected a percent of the engine's "
                f"dose from 0 to {MAX_TOLERANCE_PERCENT:g}"
            )
        object.__setattr__(self, "tolerance_percent", float(tolerance))


@dataclass(frozen=True)
class Dispensed:
    """The engine's dose as whole vials.

    ``amount_g`` is the dispensable amount chosen by ``rounding`` within the tolerance,
    None when there is none; ``vials`` its vials as (size in g, count), larger first;
    ``below_g`` and ``above_g`` the nearest dispensable amounts at or below and at or
    above the dose, whichever was chosen.
    """

    dose_g: float
    amount_g: float | None
    vials: tuple[tuple[float, int], ...]
    rounding: Rounding
    tolerance_percent: float
    below_g: float | None
    above_g: float

    @property
    def difference_percent(self) -> float | None:
        """How far the amount is from the engine's dose, in percent of it (+ = more)."""
        if self.amount_g is None:
            return None
        if self.dose_g == 0:
            return 0.0
        return 100.0 * (self.amount_g - self.dose_g) / self.dose_g

    def vials_text(self) -> str:
        """The vials in words, e.g. ``1 x 20 g + 1 x 10 g + 1 x 2.5 g``."""
        if self.amount_g is None:
            return "no dispensable dose"
        if not self.vials:
            return "no vial"
        return " + ".join(f"{count} x {size:g} g" for size, count in self.vials)


def _fewest_vials(sizes: tuple[int, ...], limit: int) -> list[list[int] | None]:
    """For every amount 0..limit (in units), the fewest vials making it (counts per size,
    sizes in the given order, larger first), or None when no sum of vials makes it."""
    best: list[list[int] | None] = [None] * (limit + 1)
    best[0] = [0] * len(sizes)
    for amount in range(1, limit + 1):
        for k, size in enumerate(sizes):
            rest = best[amount - size] if size <= amount else None
            if rest is None:
                continue
            current = best[amount]
            # Strictly fewer only: the first (larger) size keeps a tie.
            if current is None or sum(rest) + 1 < sum(current):
                made = rest.copy()
                made[k] += 1
                best[amount] = made
    return best


def dispense(dose_g: float, vials: SiteVials, rounding: Rounding = Rounding.NEAREST) -> Dispensed:
    """The engine's ``dose_g`` as whole vials of ``vials``, by ``rounding`` (module docstring).

    >>> site = SiteVials((2.5, 5, 10, 20), tolerance_percent=5)
    >>> d = dispense(31.5, site)
    >>> d.amount_g, d.vials_text(), round(d.difference_percent, 2)
    (32.5, '1 x 20 g + 1 x 10 g + 1 x 2.5 g', 3.17)
    >>> dispense(31.25, site).amount_g  # a tie between 30 and 32.5 goes up
    32.5
    >>> dispense(31.0, site, Rounding.AT_LEAST).amount_g  # never below during a restore
    32.5
    >>> dispense(12.0, SiteVials((10,), 5)).amount_g is None  # 10 or 20: both too far
    True
    """
    if not _is_real(dose_g) or not (math.isfinite(float(dose_g)) and float(dose_g) >= 0):
        raise MeasureError(f"dose_g: got {dose_g!r}, expected a dose of 0 g or more")
    dose = float(dose_g)
    cents = [round(size * _CENTIGRAMS) for size in vials.sizes_g]
    unit = math.gcd(*cents)
    sizes = tuple(c // unit for c in cents)
    target = dose * _CENTIGRAMS / unit
    if abs(target - round(target)) <= _SNAP * max(1.0, target):
        target = float(round(target))
    # Every amount up to one largest vial above the dose: the nearest one above is in it.
    table = _fewest_vials(sizes, math.ceil(target) + max(sizes))
    below = next((a for a in range(math.floor(target), -1, -1) if table[a] is not None), None)
    above = next(a for a in range(math.ceil(target), len(table)) if table[a] is not None)
    if rounding is Rounding.AT_LEAST or below is None:
        chosen = above
    else:
        chosen = below if target - below < above - target else above  # a tie goes up
    amount = chosen * unit / _CENTIGRAMS
    allowed = vials.tolerance_percent / 100.0 * dose + 1e-9
    within = abs(amount - dose) <= allowed
    counts = table[chosen] if within else None
    return Dispensed(
        dose_g=dose,
        amount_g=amount if within else None,
        vials=tuple((s, n) for s, n in zip(vials.sizes_g, counts or [], strict=False) if n),
        rounding=rounding,
        tolerance_percent=vials.tolerance_percent,
        below_g=None if below is None else below * unit / _CENTIGRAMS,
        above_g=above * unit / _CENTIGRAMS,
    )


__all__ = ["MAX_TOLERANCE_PERCENT", "MAX_VIAL_G", "Dispensed", "Rounding", "SiteVials", "dispense"]
