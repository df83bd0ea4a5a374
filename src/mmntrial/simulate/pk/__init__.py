"""The two-compartment population model of IgG kinetics (DOMAIN.md section 4, [S32]).

Modules:

- :mod:`~mmntrial.simulate.pk.parameters`: the population parameters as plain data, and
  the one built-in set (Cheng et al. 2025 [S32]).
- :mod:`~mmntrial.simulate.pk.model`: individual parameters, sampling of virtual
  patients, exogenous IgG after any infusion schedule, exposure per window, terminal
  half-life and measured IgG with residual error. Its public names are re-exported here.
- :mod:`~mmntrial.simulate.pk.step`: the same model one step at a time (``PkState``).
- :mod:`~mmntrial.simulate.pk.randomness`: turning a seed or a Generator into a Generator.
"""

from mmntrial.simulate.pk.model import (
    FloatArray,
    PkParameters,
    PkPopulation,
    exogenous_auc,
    exogenous_concentration,
    exogenous_window_mean,
    measured_igg,
    sample_pk_parameters,
    terminal_half_life_days,
)

__all__ = [
    "FloatArray",
    "PkParameters",
    "PkPopulation",
    "exogenous_auc",
    "exogenous_concentration",
    "exogenous_window_mean",
    "measured_igg",
    "sample_pk_parameters",
    "terminal_half_life_days",
]
