"""IgG kinetics one step at a time, for the event-driven trial simulator.

:mod:`mmntrial.simulate.pk` computes whole time courses from whole infusion schedules.
The trial simulator cannot: the next dose is decided by the protocol engine from what
the patient did so far. Here the exogenous IgG of each patient is a :class:`PkState`
that moves forward by any number of days, takes a dose, and gives the exact mean
concentration over the step, all in closed form.

The state is modal: the exogenous concentration is the sum of two exponential modes
(alpha, the distribution phase, and beta, the terminal phase; see
:func:`mmntrial.simulate.pk._kernels.modes`), and each mode decays on its own, so a step
of ``dt`` days multiplies mode ``k`` by ``exp(-rate_k dt)`` and a bolus of ``D`` grams
adds ``D coef_k``. This is the same superposition that :mod:`~mmntrial.simulate.pk` uses,
so the two agree to rounding (the tests compare them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mmntrial.errors import SimulationError
from mmntrial.simulate.pk._kernels import modes
from mmntrial.simulate.pk.model import PkParameters
from mmntrial.units import Floats as FloatArray


@dataclass(frozen=True, eq=False)
class PkModel:
    """The two exponential modes of each patient: rates (per day) and coefficients (1/L).

    Both arrays are ``(2, patients)``; row 0 is the fast (alpha) mode, row 1 the slow one.

    >>> from mmntrial.simulate.pk import PkPopulation
    >>> p = PkParameters.from_population_typical(PkPopulation.cheng_2025(), [70.0])
    >>> m = PkModel.of(p)
    >>> round(float(m.coefs[:, 0].sum() * 3.59), 12)   # the coefficients sum to 1/V1
    1.0
    """

    rates_per_day: FloatArray
    coefs: FloatArray
    CL_L_per_day: FloatArray

    @classmethod
    def of(cls, params: PkParameters) -> PkModel:
        """The modes of every patient in ``params``."""
        rates, coefs = modes(params)
        return cls(rates, coefs, np.asarray(params.CL_L_per_day, dtype=np.float64))

    @property
    def n_patients(self) -> int:
        """The number of patients."""
        return int(self.rates_per_day.shape[1])

    def take(self, index: npt.NDArray[np.intp]) -> PkModel:
        """The modes of the patients at ``index``."""
        return PkModel(self.rates_per_day[:, index], self.coefs[:, index], self.CL_L_per_day[index])


@dataclass(eq=False)
class PkState:
    """Exogenous IgG per patient as two modal concentrations (g/L), ``(2, patients)``.

    The concentration now is ``modes.sum(axis=0)``. The methods change the state in
    place, for the rows given, and return it.

    >>> from mmntrial.simulate.pk import PkPopulation
    >>> p = PkParameters.from_population_typical(PkPopulation.cheng_2025(), [70.0])
    >>> model = PkModel.of(p)
    >>> state = PkState.empty(1).add_dose(model, np.array([70.0]))
    >>> state.concentration_g_per_l().round(2).tolist()     # 70 g into 3.59 L
    [19.5]
    >>> mean = state.step(model, np.array([14.0]))
    >>> mean.round(2).tolist(), state.concentration_g_per_l().round(2).tolist()
    ([6.2], [3.49])
    """

    modes_g_per_l: FloatArray

    @classmethod
    def empty(cls, n_patients: int) -> PkState:
        """No exogenous IgG yet."""
        return cls(np.zeros((2, n_patients)))

    @classmethod
    def steady_state(
        cls,
        model: PkModel,
        dose_g: npt.ArrayLike,
        interval_days: npt.ArrayLike,
        days_since_dose: npt.ArrayLike,
    ) -> PkState:
        """The state ``days_since_dose`` after a dose at steady state of a regimen.

        After infinitely many doses of ``D`` every ``tau`` days, mode ``k`` right after
        a dose holds ``D coef_k / (1 - exp(-rate_k tau))`` (a geometric series).

        >>> from mmntrial.simulate.pk import PkPopulation
        >>> p = PkParameters.from_population_typical(PkPopulation.cheng_2025(), [70.0])
        >>> s = PkState.steady_state(PkModel.of(p), [70.0], [28.0], [0.0])
        >>> round(float(s.step(PkModel.of(p), np.array([28.0]))[0]), 3)  # dose / (CL tau)
        8.117
        """
        dose = np.asarray(dose_g, dtype=np.float64)
        tau = np.asarray(interval_days, dtype=np.float64)
        since = np.asarray(days_since_dose, dtype=np.float64)
        if not ((tau > 0).all() and (dose >= 0).all() and (since >= 0).all()):
            raise SimulationError(
                "dose_g, interval_days, days_since_dose: got a negative dose, a non-positive "
                "interval or a negative time since the dose; expected dose >= 0, interval > 0, "
                "time >= 0"
            )
        rates = model.rates_per_day
        peak = dose * model.coefs / -np.expm1(-rates * tau)
        return cls(peak * np.exp(-rates * since))

    @property
    def n_patients(self) -> int:
        """The number of patients."""
        return int(self.modes_g_per_l.shape[1])

    def concentration_g_per_l(self) -> FloatArray:
        """The exogenous IgG concentration now, per patient (g/L)."""
        return np.asarray(self.modes_g_per_l.sum(axis=0), dtype=np.float64)

    def add_dose(self, model: PkModel, dose_g: FloatArray) -> PkState:
        """Give a bolus of ``dose_g`` grams to each patient (0 for none); returns self."""
        self.modes_g_per_l += model.coefs * dose_g
        return self

    def step(self, model: PkModel, dt_days: FloatArray) -> FloatArray:
        """Move every patient ``dt_days`` forward (0 for none); return the mean over the step.

        The mean of mode ``k`` over ``[0, h]`` is ``m_k (1 - exp(-r_k h)) / (r_k h)``; for
        ``h = 0`` it is the concentration itself.
        """
        rates = model.rates_per_day
        h = np.asarray(dt_days, dtype=np.float64)
        x = rates * h
        lost = -np.expm1(-x)
        # (1 - e^-x) / x tends to 1 as x -> 0; x is never below 0 here.
        safe = np.where(x > 0.0, x, 1.0)
        mean_factor = np.where(x > 0.0, lost / safe, 1.0)
        mean = (self.modes_g_per_l * mean_factor).sum(axis=0)
        self.modes_g_per_l *= 1.0 - lost
        return np.asarray(mean, dtype=np.float64)


def steady_state_mean_g_per_l(
    model: PkModel, dose_g: FloatArray, interval_days: FloatArray
) -> FloatArray:
    """Mean exogenous IgG over a dosing interval at steady state: ``dose / (CL tau)``.

    >>> from mmntrial.simulate.pk import PkPopulation
    >>> p = PkParameters.from_population_typical(PkPopulation.cheng_2025(), [70.0])
    >>> steady_state_mean_g_per_l(PkModel.of(p), np.array([70.0]), np.array([28.0])).round(3)
    array([8.117])
    """
    return np.asarray(dose_g / (model.CL_L_per_day * interval_days), dtype=np.float64)


__all__ = ["PkModel", "PkState", "steady_state_mean_g_per_l"]
