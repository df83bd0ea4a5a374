"""The DSMB's adverse-event table of a large simulated trial against the rates the
population file sets ([drug] of mmn-default): infections and serious adverse events.

Each count is of subjects, as the table counts them. A subject followed ``t`` years with
an infection rate ``r`` per year has at least one infection with probability
``1 - exp(-r t)`` (the simulator draws a Poisson number of infections); the expected
count of an arm is the sum of those over its subjects (their follow-up is the
disposition's last day), and its standard error that of a sum of independent Bernoulli
draws. The table must fall within three standard errors of it (the seed is fixed, so the
test is deterministic; with 1000 subjects per arm, a rate off by a quarter is 3.7 SE
out).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mmntrial.analysis.dsmb import dsmb_counts
from mmntrial.protocol.loader import load_protocol
from mmntrial.simulate.population import load_population
from mmntrial.simulate.trials.one_trial import simulate_one_trial
from mmntrial.units import DAYS_PER_YEAR

N_PER_ARM = 1000
TOLERANCE_SE = 3.0


def _expected(years: np.ndarray, rate: float) -> tuple[float, float]:
    """Expected subjects with at least one event, and its standard error."""
    p = 1.0 - np.exp(-rate * years)
    return float(p.sum()), float(np.sqrt((p * (1.0 - p)).sum()))


def test_infections_and_serious_events_match_the_population_rates() -> None:
    protocol = load_protocol("piepers-2007")
    population = load_population("mmn-default")
    data = simulate_one_trial(protocol, population, effect=0.0, seed=15, n_per_arm=N_PER_ARM)
    counts = dsmb_counts(data, closed=True)
    drug = population.drug
    years = (
        data.dispositions.set_index("subject_id")["day"].clip(lower=0).astype(float) / DAYS_PER_YEAR
    )
    table = counts.by_soc.set_index("term")
    assert counts.worst_grade is not None
    serious = counts.worst_grade.by_worst_grade.loc["serious adverse event"]
    checked = 0
    for arm in protocol.arms:
        on_drug = arm.drug != "placebo"
        rate = (
            drug.infection_rate_per_year_drug if on_drug else drug.infection_rate_per_year_placebo
        )
        members = data.subjects.loc[data.subjects["arm"] == arm.name, "subject_id"]
        arm_years = years.reindex(pd.Index(members)).to_numpy()
        for observed, expected_rate in (
            (int(table.loc["infection", f"{arm.name} n"]), rate),
            # Only infections are serious in the simulator: a fraction of them.
            (int(serious[f"{arm.name} n"]), rate * drug.serious_infection_fraction),
        ):
            mean, se = _expected(arm_years, expected_rate)
            assert abs(observed - mean) <= TOLERANCE_SE * se, (arm.name, observed, mean, se)
            checked += 1
    assert checked == 4
