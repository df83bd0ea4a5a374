"""Three derivations of the primary endpoint agree on simulated trials.

- the simulator's own count (``responders_<arm>``, from the course's outcome);
- the report's analysis of the trial's dataset (:func:`analysis.endpoints.primary_endpoint`);
- the protocol engine replaying the dataset (:func:`engine.endpoints.endpoint_values`).

And the engine, replaying a simulated trial's records, recommends exactly the doses the
simulated sites gave: the simulator drives the real engine, and a dataset carries
everything the engine needs to decide again.
"""

from __future__ import annotations

import numpy as np
import pytest

from mmntrial.analysis.endpoints import primary_endpoint
from mmntrial.dataset.histories import dataset_histories
from mmntrial.engine.endpoints import endpoint_values
from mmntrial.engine.replay import replay
from mmntrial.engine.states import Action
from mmntrial.protocol.loader import builtin_names, load_protocol
from mmntrial.simulate.population import load_population
from mmntrial.simulate.trials.one_trial import simulate_trial

CASES = [
    (name, seed, effect) for name in builtin_names() for seed in (0, 2) for effect in (0.0, 0.7)
]


@pytest.mark.parametrize(("name", "seed", "effect"), CASES)
def test_simulator_analysis_and_engine_agree_on_the_primary_endpoint(
    name: str, seed: int, effect: float
) -> None:
    protocol = load_protocol(name)
    trial = simulate_trial(protocol, load_population("mmn-default"), effect=effect, seed=seed)
    analysed = primary_endpoint(trial.dataset, protocol).set_index("subject_id")
    replayed = replay(protocol, dataset_histories(trial.dataset))
    by_engine = {v.subject: v for v in endpoint_values(protocol, replayed)}

    for subject, row in analysed.iterrows():
        engine = by_engine[str(subject)]
        assert engine.reached_primary == row["reached"], subject
        if engine.reduction_percent is not None:
            assert engine.reduction_percent == pytest.approx(row["percent_reduction"], abs=1e-6)
    counts = analysed.groupby("arm")["reached"].sum()
    for arm in protocol.arms:
        assert int(trial.summary[f"responders_{arm.name}"].iloc[0]) == int(counts[arm.name])


@pytest.mark.parametrize(("name", "seed", "effect"), CASES[::2])
def test_the_engine_replaying_a_simulated_dataset_recommends_the_doses_given(
    name: str, seed: int, effect: float
) -> None:
    protocol = load_protocol(name)
    trial = simulate_trial(protocol, load_population("mmn-default"), effect=effect, seed=seed)
    replayed = replay(protocol, dataset_histories(trial.dataset))
    given = trial.dataset.infusions[trial.dataset.infusions["day"] >= 0]
    for subject, decisions in zip(replayed.subjects, replayed.decisions, strict=True):
        doses = given[given["subject_id"] == subject].sort_values("day")
        recommended = [d for d in decisions if d.action is not Action.NONE]
        assert [d.day for d in recommended] == doses["day"].tolist(), subject
        assert [d.action.label for d in recommended] == doses["action"].tolist(), subject
        np.testing.assert_allclose(
            [d.dose_g for d in recommended], doses["dose_g"].to_numpy(), rtol=1e-9
        )
        assert [d.interval_days for d in recommended] == doses["interval_days"].tolist()
