"""IVIg (and SCIG) infusion records and dose intensity in g/kg/week.

Dose intensity makes cutting the dose and lengthening the interval comparable
(DOMAIN.md section 2). One infusion's intensity is::

    intensity_g_per_kg_week = dose_g / weight_kg / (interval_days / 7)

where ``interval_days`` is the prescribed number of days until the next infusion. That
formula and its inverse live in :func:`dose_intensity` and :func:`grams_at_intensity`
only: the arrays, the engine (compiled), the simulator and the report all call them, so
that every copy rounds the same way.
Over a window of study days ``[start_day, end_day)`` each infusion's dose is spread
evenly over its own interval ``[day, day + interval_days)``, so a window that contains
a change of interval is handled without special cases::

    window intensity = sum over infusions of
                       (dose_g / weight_kg) x overlap(infusion interval, window) / interval_days
                       / ((end_day - start_day) / 7)

Baseline intensity is the mean intensity of the last N infusions before day 0 (day 0 =
randomization; an infusion on day 0 is on study). Percent reduction is relative to it.

Plausibility limits (guards against typing errors, not clinical rules; a protocol may
be stricter): weight 20-300 kg, dose up to 3 g/kg per infusion (above the 2 g/kg
loading course), interval 1-365 days.

The vectorized functions in :mod:`mmntrial.measures.ivig_arrays` compute the same
numbers for arrays of patients x infusions.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, overload

from mmntrial.errors import MeasureError
from mmntrial.units import DAYS_PER_WEEK

if TYPE_CHECKING:
    from mmntrial.units import Floats

MIN_WEIGHT_KG = 20.0
MAX_WEIGHT_KG = 300.0
MAX_DOSE_G_PER_KG = 3.0
MAX_INTERVAL_DAYS = 365
REDUCTION_DECIMALS = 9
"""Percent reductions are rounded to 1e-9 percent. The same regimen reached through
different arithmetic (the mean of three equal baseline infusions, a dose over a weight)
differs by about 1e-14 percent, which would break ties in rank tests and print as
"-0.000"; no two doses a pharmacy can give differ by so little, and the engine's
tolerance for reaching the endpoint (1e-9) is not crossed by the rounding."""


class Route(StrEnum):
    """How the immunoglobulin was given: intravenous (IVIg) or subcutaneous (SCIG)."""

    IV = "IV"
    SC = "SC"


def _is_int(value: object) -> bool:
    # bool is an Integral, but True is never a study day.
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_weight_kg(weight_kg: float) -> float:
    """Validate a body weight in kg; return it as float.

    >>> check_weight_kg(70)
    70.0
    """
    if not _is_real(weight_kg) or not MIN_WEIGHT_KG <= float(weight_kg) <= MAX_WEIGHT_KG:
        raise MeasureError(
            f"weight_kg: got {weight_kg!r}, expected a weight from {MIN_WEIGHT_KG:g} "
            f"to {MAX_WEIGHT_KG:g} kg"
        )
    return float(weight_kg)


def check_interval_days(interval_days: int) -> int:
    """Validate a prescribed infusion interval (whole days); return it as int.

    >>> check_interval_days(21)
    21
    """
    if not _is_int(interval_days) or not 1 <= int(interval_days) <= MAX_INTERVAL_DAYS:
        raise MeasureError(
            f"interval_days: got {interval_days!r}, expected whole days from 1 to "
            f"{MAX_INTERVAL_DAYS} (the prescribed days until the next infusion)"
        )
    return int(interval_days)


def check_dose_g(dose_g: float, weight_kg: float) -> float:
    """Validate an infusion dose in grams for a patient of ``weight_kg``; return it as float.

    Zero is allowed: a taper may reach 0% of baseline.

    >>> check_dose_g(40, 70)
    40.0
    >>> check_dose_g(400, 70)
    Traceback (most recent call last):
    ...
    mmntrial.errors.MeasureError: dose_g: got 400, expected 0 to 210 g (3 g/kg at 70 kg)
    """
    weight = check_weight_kg(weight_kg)
    ceiling = MAX_DOSE_G_PER_KG * weight
    if not _is_real(dose_g) or not 0.0 <= float(dose_g) <= ceiling:
        raise MeasureError(
            f"dose_g: got {dose_g!r}, expected 0 to {ceiling:g} g "
            f"({MAX_DOSE_G_PER_KG:g} g/kg at {weight:g} kg)"
        )
    return float(dose_g)


@overload
def dose_intensity(dose_g: float, weight_kg: float, interval_days: float) -> float: ...
@overload
def dose_intensity(dose_g: Floats, weight_kg: Floats, interval_days: Floats) -> Floats: ...
def dose_intensity(dose_g: Any, weight_kg: Any, interval_days: Any) -> Any:
    """The dose intensity formula, g/kg/week, for numbers or arrays alike; no validation.

    The one place it is written: callers that must agree to the last bit (the engine's
    compiled loop, the vectorized measures, the simulator, the report) all call it, and
    keep its order of operations, ``dose_g / weight_kg / (interval_days / 7)``.

    >>> dose_intensity(140.0, 70.0, 28)
    0.5
    """
    return dose_g / weight_kg / (interval_days / DAYS_PER_WEEK)


@overload
def grams_at_intensity(intensity_g_per_kg_week: float, weight_kg: float, days: float) -> float: ...
@overload
def grams_at_intensity(
    intensity_g_per_kg_week: Floats, weight_kg: Floats, days: Floats
) -> Floats: ...
def grams_at_intensity(intensity_g_per_kg_week: Any, weight_kg: Any, days: Any) -> Any:
    """The inverse of :func:`dose_intensity`: grams that give an intensity over ``days``.

    ``intensity x weight_kg x days / 7``, in that order (a dose for one interval, or the
    grams over a follow-up); not rounded, so it need not give back a dose exactly.

    >>> grams_at_intensity(0.5, 70.0, 28)
    140.0
    """
    return intensity_g_per_kg_week * weight_kg * days / DAYS_PER_WEEK


def infusion_intensity(dose_g: float, weight_kg: float, interval_days: int) -> float:
    """Dose intensity of one infusion in g/kg/week: dose_g / weight_kg / (interval_days / 7).

    >>> round(infusion_intensity(40, 70, 21), 4)
    0.1905
    """
    dose = check_dose_g(dose_g, weight_kg)
    interval = check_interval_days(interval_days)
    return dose_intensity(dose, float(weight_kg), interval)


@dataclass(frozen=True)
class Infusion:
    """One immunoglobulin infusion, as given.

    ``day`` is the study day (negative before randomization), ``interval_days`` the
    prescribed days until the next infusion, ``weight_kg`` the weight the dose was
    calculated on.

    >>> inf = Infusion(day=-21, dose_g=40, weight_kg=70, interval_days=21,
    ...                product="Kiovig", route="IV")
    >>> round(inf.intensity_g_per_kg_week, 4), inf.end_day
    (0.1905, 0)
    """

    day: int
    dose_g: float
    weight_kg: float
    interval_days: int
    product: str
    route: Route

    def __post_init__(self) -> None:
        if not _is_int(self.day):
            raise MeasureError(f"day: got {self.day!r}, expected a whole study day")
        object.__setattr__(self, "day", int(self.day))
        object.__setattr__(self, "dose_g", check_dose_g(self.dose_g, self.weight_kg))
        object.__setattr__(self, "weight_kg", float(self.weight_kg))
        object.__setattr__(self, "interval_days", check_interval_days(self.interval_days))
        if not isinstance(self.product, str) or not self.product.strip():
            raise MeasureError(
                f"product: got {self.product!r}, expected the product name (e.g. 'Kiovig')"
            )
        try:
            object.__setattr__(self, "route", Route(self.route))
        except ValueError:
            raise MeasureError(f"route: got {self.route!r}, expected 'IV' or 'SC'") from None

    @property
    def dose_g_per_kg(self) -> float:
        """The dose per kg of body weight."""
        return self.dose_g / self.weight_kg

    @property
    def intensity_g_per_kg_week(self) -> float:
        """This infusion's dose intensity in g/kg/week."""
        return dose_intensity(self.dose_g, self.weight_kg, self.interval_days)

    @property
    def end_day(self) -> int:
        """The first day after this infusion's interval (the prescribed next infusion)."""
        return self.day + self.interval_days


def check_window(start_day: int, end_day: int) -> None:
    """Refuse a window of study days that is empty or not in whole days.

    >>> check_window(0, 28)
    >>> check_window(28, 28)
    Traceback (most recent call last):
    ...
    mmntrial.errors.MeasureError: window: got [28, 28), expected start_day < end_day, both ...
    """
    if not (_is_int(start_day) and _is_int(end_day)) or not start_day < end_day:
        raise MeasureError(
            f"window: got [{start_day!r}, {end_day!r}), expected start_day < end_day, "
            "both whole study days"
        )


def window_intensity(infusions: Iterable[Infusion], start_day: int, end_day: int) -> float:
    """Dose intensity in g/kg/week over study days ``[start_day, end_day)``.

    Each infusion's dose is spread evenly over its own interval, so infusions given
    before the window still count for the part of their interval inside it. No
    infusion covering the window gives 0.0.

    >>> regimen = [Infusion(d, 40, 70, 21, "Kiovig", Route.IV) for d in (-21, 0, 21)]
    >>> round(window_intensity(regimen, 0, 42), 4)
    0.1905

    An interval lengthened from 21 to 28 days inside the window:

    >>> changed = [Infusion(0, 40, 70, 21, "Kiovig", Route.IV),
    ...            Infusion(21, 40, 70, 28, "Kiovig", Route.IV)]
    >>> round(window_intensity(changed, 0, 49), 4)  # (40/70) x 2 / 7 weeks
    0.1633
    """
    check_window(start_day, end_day)
    total_g_per_kg = 0.0
    for infusion in infusions:
        overlap_days = min(end_day, infusion.end_day) - max(start_day, infusion.day)
        if overlap_days > 0:
            total_g_per_kg += infusion.dose_g_per_kg * overlap_days / infusion.interval_days
    return total_g_per_kg / ((end_day - start_day) / DAYS_PER_WEEK)


def check_n_infusions(n_infusions: int) -> int:
    """Validate the number of infusions a baseline is averaged over.

    >>> check_n_infusions(3)
    3
    """
    if not _is_int(n_infusions) or int(n_infusions) < 1:
        raise MeasureError(
            f"baseline n_infusions: got {n_infusions!r}, expected a whole number of at least 1"
        )
    return int(n_infusions)


def baseline_intensity(infusions: Iterable[Infusion], n_infusions: int = 3) -> float:
    """Mean intensity (g/kg/week) of the last ``n_infusions`` infusions before day 0.

    >>> history = [Infusion(d, 40, 70, 21, "Kiovig", Route.IV) for d in (-63, -42, -21)]
    >>> round(baseline_intensity(history, 3), 4)
    0.1905
    >>> baseline_intensity(history[1:], 3)
    Traceback (most recent call last):
    ...
    mmntrial.errors.MeasureError: baseline intensity: found 2 infusions before day 0 ...
    """
    n = check_n_infusions(n_infusions)
    # sorted() is stable: infusions on the same day keep the order they were given in.
    before = sorted((i for i in infusions if i.day < 0), key=lambda i: i.day)
    if len(before) < n:
        days = ", ".join(str(i.day) for i in before) or "none"
        raise MeasureError(
            f"baseline intensity: found {len(before)} infusions before day 0 (days: {days}), "
            f"expected at least {n}; record the earlier infusions or lower n_infusions"
        )
    last = before[-n:]
    return math.fsum(i.intensity_g_per_kg_week for i in last) / n


def percent_reduction(intensity_g_per_kg_week: float, baseline_g_per_kg_week: float) -> float:
    """How far an intensity is below baseline, in percent (negative = above baseline).

    >>> percent_reduction(0.1, 0.2)
    50.0
    >>> percent_reduction(0.3, (0.1 + 0.1 + 0.1))  # the same dose: exactly no reduction
    0.0
    >>> percent_reduction(0.1, 0.0)
    Traceback (most recent call last):
    ...
    mmntrial.errors.MeasureError: baseline_g_per_kg_week: got 0.0, expected a positive ...
    """
    baseline = float(baseline_g_per_kg_week) if _is_real(baseline_g_per_kg_week) else math.nan
    if not (math.isfinite(baseline) and baseline > 0):
        raise MeasureError(
            f"baseline_g_per_kg_week: got {baseline_g_per_kg_week!r}, expected a positive "
            "intensity (a percent reduction from zero is undefined)"
        )
    value = float(intensity_g_per_kg_week) if _is_real(intensity_g_per_kg_week) else math.nan
    if not (math.isfinite(value) and value >= 0):
        raise MeasureError(
            f"intensity_g_per_kg_week: got {intensity_g_per_kg_week!r}, expected a "
            "finite intensity of 0 or more"
        )
    # Rounded as numpy.round rounds the arrays (scale, round half to even, unscale), so
    # that one patient equals the vectorized patients; round(x, 9) rounds the decimal
    # value instead and differs near a half. + 0.0 turns a rounded -0.0 into 0.0.
    scale = 10.0**REDUCTION_DECIMALS
    return round(100.0 * (1.0 - value / baseline) * scale) / scale + 0.0


__all__ = [
    "MAX_DOSE_G_PER_KG",
    "MAX_INTERVAL_DAYS",
    "MAX_WEIGHT_KG",
    "MIN_WEIGHT_KG",
    "REDUCTION_DECIMALS",
    "Infusion",
    "Route",
    "baseline_intensity",
    "check_dose_g",
    "check_interval_days",
    "check_n_infusions",
    "check_weight_kg",
    "check_window",
    "dose_intensity",
    "grams_at_intensity",
    "infusion_intensity",
    "percent_reduction",
    "window_intensity",
]
