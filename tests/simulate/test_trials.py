"""The trial runner: determinism across chunks, the summary, one trial as a dataset."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact

from mmntrial.errors import SimulationError
from mmntrial.intervals import wilson_interval
from mmntrial.protocol.loader import load_protocol, parse_protocol
from mmntrial.protocol.model import Sidedness
from mmntrial.protocol.serialize import protocol_to_dict
from mmntrial.simulate.population import load_population
from mmntrial.simulate.trials import run_chunk, run_trials
from mmntrial.simulate.trials.fisher import TABLE_LIMIT, fisher_p_values, fisher_table
from mmntrial.simulate.trials.one_trial import simulate_one_trial, simulate_trial
from mmntrial.simulate.trials.patients import build_patients, draw_trials

PROTOCOL = load_protocol("piepers-2007")
POP = load_population("mmn-default")


def test_chunks_computed_separately_in_any_order_equal_one_run() -> None:
    whole = run_trials(PROTOCOL, POP, n_trials=40, effect=0.3, seed=9, chunk_trials=10)
    parts = []
    for chunk in (3, 1, 0, 2):
        parts.append(
            run_chunk(
                PROTOCOL,
                POP,
                effect=0.3,
                seed=9,
                chunk_index=chunk,
                n_trials_in_chunk=10,
                n_per_arm=None,
            )
        )
    joined = pd.concat(parts).sort_values("trial", ignore_index=True)
    pd.testing.assert_frame_equal(whole.per_trial, joined)
    assert whole.per_trial["trial"].tolist() == list(range(40))
    # A different seed gives different trials: the test above compares something.
    other = run_chunk(
        PROTOCOL, POP, effect=0.3, seed=10, chunk_index=0, n_trials_in_chunk=10, n_per_arm=None
    )
    assert not other.equals(whole.per_trial.iloc[:10])


def test_the_last_chunk_may_be_smaller_and_progress_is_reported() -> None:
    done: list[int] = []
    results = run_trials(
        PROTOCOL, POP, n_trials=7, effect=0.0, seed=2, chunk_trials=3, progress=done.append
    )
    assert done == [3, 6, 7]
    last = run_chunk(
        PROTOCOL,
        POP,
        effect=0.0,
        seed=2,
        chunk_index=2,
        n_trials_in_chunk=1,
        n_per_arm=None,
        chunk_trials=3,
    )
    pd.testing.assert_frame_equal(results.per_trial.iloc[[6]].reset_index(drop=True), last)


def test_a_trial_does_not_depend_on_the_size_of_its_chunk() -> None:
    big = run_chunk(
        PROTOCOL, POP, effect=0.5, seed=4, chunk_index=0, n_trials_in_chunk=6, n_per_arm=None
    )
    small = run_chunk(
        PROTOCOL, POP, effect=0.5, seed=4, chunk_index=0, n_trials_in_chunk=2, n_per_arm=None
    )
    pd.testing.assert_frame_equal(big.iloc[:2], small)
    # Trials 3-5 as the second chunk of three equal trials 3-5 of the chunk of six.
    second = run_chunk(
        PROTOCOL, POP, effect=0.5, seed=4, chunk_index=1, n_trials_in_chunk=3, n_per_arm=None
    )
    pd.testing.assert_frame_equal(big.iloc[3:].reset_index(drop=True), second)
    whole = run_trials(PROTOCOL, POP, n_trials=6, effect=0.5, seed=4, chunk_trials=4)
    pd.testing.assert_frame_equal(whole.per_trial, big)


def test_per_trial_columns_and_summary() -> None:
    results = run_trials(PROTOCOL, POP, n_trials=30, effect=0.0, seed=5, n_per_arm=6)
    frame = results.per_trial
    assert (frame["n_mmf"] + frame["n_placebo"] == 12).all()
    assert frame["responders_mmf"].le(frame["n_mmf"]).all()
    expected_p = [
        fisher_exact([[a, n - a], [b, m - b]]).pvalue
        for a, n, b, m in frame[
            ["responders_mmf", "n_mmf", "responders_placebo", "n_placebo"]
        ].itertuples(index=False)
    ]
    np.testing.assert_allclose(frame["p_value"], expected_p, rtol=1e-9)
    summary = results.summary()
    assert summary.measure == "type I error"
    assert summary.n_trials == 30
    low, high = summary.rejection_rate_ci95
    assert low <= summary.rejection_rate <= high
    for arm in ("mmf", "placebo"):
        assert 0.0 <= summary.arm(arm).proportion_reaching_primary <= 1.0
        assert summary.arm(arm).ivig_saved_g_per_patient_year > 0  # the taper saves IVIg
        assert summary.arm(arm).deteriorations_per_patient > 0  # ... and causes harm


def test_large_arms_get_fishers_p_without_a_table() -> None:
    # Arms of 300 are above the table limit: p-values come one margin at a time, still
    # scipy's, and without the (n1 + 1)^2 (n2 + 1) table (about 200 MB for these arms).
    assert TABLE_LIMIT < 301**3
    x1, x2 = np.array([150, 160, 120, 0]), np.array([130, 160, 150, 3])
    n = np.full(4, 300)
    p = fisher_p_values(x1, n, x2, n)
    for k in range(4):
        table = [[x1[k], 300 - x1[k]], [x2[k], 300 - x2[k]]]
        assert p[k] == pytest.approx(fisher_exact(table).pvalue, rel=1e-9)


def test_fisher_table_matches_scipy() -> None:
    table = fisher_table(7, 9)
    for a in range(8):
        for b in range(10):
            assert table[a, b] == pytest.approx(fisher_exact([[a, 7 - a], [b, 9 - b]]).pvalue)
    p = fisher_p_values(np.array([0, 5]), np.array([7, 5]), np.array([0, 0]), np.array([9, 5]))
    np.testing.assert_allclose(p, [1.0, fisher_exact([[5, 0], [0, 5]]).pvalue])
    assert wilson_interval(0, 10)[0] == 0.0


def test_one_trial_summary_equals_run_trials_and_its_dataset() -> None:
    results = run_trials(PROTOCOL, POP, n_trials=5, effect=0.4, seed=21, chunk_trials=2)
    one = simulate_trial(PROTOCOL, POP, effect=0.4, seed=21, trial_index=3)
    expected = results.per_trial.iloc[[3]].reset_index(drop=True)
    pd.testing.assert_frame_equal(one.summary, expected)
    data = one.dataset
    subjects = data.subjects.set_index("subject_id")
    arm_of = subjects["arm"]
    for arm in ("mmf", "placebo"):
        members = arm_of[arm_of == arm].index
        assert len(members) == expected[f"n_{arm}"].item()
        # Taper failures: the episodes at the full baseline dose are recorded apart.
        failures = data.deteriorations[~data.deteriorations["at_baseline"]]
        episodes = failures["subject_id"].isin(members).sum()
        assert episodes / len(members) == pytest.approx(
            expected[f"deteriorations_per_patient_{arm}"].item()
        )
        at_full_dose = data.deteriorations[data.deteriorations["at_baseline"]]
        assert at_full_dose["subject_id"].isin(members).sum() / len(members) == pytest.approx(
            expected[f"full_dose_episodes_per_patient_{arm}"].item()
        )
        left = data.dispositions[data.dispositions["subject_id"].isin(members)]
        assert (left["status"] != "completed").sum() == expected[f"dropouts_{arm}"].item()
        on_study = data.infusions[
            data.infusions["subject_id"].isin(members) & (data.infusions["day"] >= 0)
        ]
        years = left["day"].sum() / 365.25
        assert on_study["dose_g"].sum() / years == pytest.approx(
            expected[f"ivig_g_per_patient_year_{arm}"].item()
        )


def test_the_dataset_has_every_table_of_the_schema() -> None:
    data = simulate_one_trial(PROTOCOL, POP, effect=0.0, seed=3)
    tables = data.tables()
    assert len(tables["subjects"]) == 28 == len(tables["dispositions"])
    assert (tables["screening"]["outcome"] == "randomized").sum() == 28
    assert {"M0", "M12"} <= set(tables["assessments"]["visit"])
    assert (tables["infusions"]["day"] < 0).sum() == 28 * PROTOCOL.baseline.n_infusions
    # IgG from the kinetic model, and every lab piepers-2007 grades (its [safety])
    assert set(tables["labs"]["test"]) == {"igg", *PROTOCOL.safety.graded_labs}
    assert data.meta.seed == 3
    assert data.meta.source == "simulated"
    again = simulate_one_trial(PROTOCOL, POP, effect=0.0, seed=3)
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame, again.tables()[name], check_like=False)


def test_other_built_in_designs() -> None:
    lengthening = load_protocol("interval-lengthening")
    frame = run_trials(lengthening, POP, n_trials=4, effect=0.5, seed=1).per_trial
    assert len(frame) == 4
    # cidp-levels allocates 2:1 by minimization on centre and anti-GM1 status.
    cidp = load_protocol("cidp-levels")
    frame = run_trials(cidp, POP, n_trials=40, effect=0.0, seed=1).per_trial
    active = frame["n_active"] / (frame["n_active"] + frame["n_placebo"])
    assert abs(active.mean() - 2 / 3) < 0.02
    assert (frame["n_active"] + frame["n_placebo"] == 28).all()


def test_allocation_on_factors_the_simulator_does_not_draw_is_refused() -> None:
    data = protocol_to_dict(load_protocol("cidp-levels"))
    data["randomization"]["minimization"]["factor_weights"] = {"centre": 1, "smoking": 1}
    protocol = parse_protocol(data, "test")
    with pytest.raises(SimulationError, match="factor_weights: got factor 'smoking', expected"):
        run_trials(protocol, POP, n_trials=1, effect=0.0, seed=1)
    data = protocol_to_dict(PROTOCOL)
    data["randomization"]["strata"] = ["centre", "smoking"]
    with pytest.raises(SimulationError, match="strata: got factor 'smoking'"):
        run_trials(parse_protocol(data, "test"), POP, n_trials=1, effect=0.0, seed=1)


def test_stratified_blocks_balance_every_combination_of_strata() -> None:
    data = protocol_to_dict(PROTOCOL)
    data["randomization"]["strata"] = ["centre", "anti_gm1"]
    data["randomization"]["block_sizes"] = [2]
    protocol = parse_protocol(data, "test")
    draws = draw_trials(protocol, POP, 14, seed=3, trials=range(200))
    patients = build_patients(protocol, POP, draws)
    stratum = patients.site * 2 + patients.gm1_positive
    for trial in range(200):
        mine = patients.trial == trial
        for s in np.unique(stratum[mine]):
            arms = patients.arm[mine & (stratum == s)]
            # Blocks of 2 within each stratum: never more than one ahead.
            running = np.cumsum(np.where(arms == 0, 1, -1))
            assert np.abs(running).max() <= 1


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("effect", -0.1),
        ("effect", 1.0),
        ("n_trials", 0),
        ("seed", -1),
        ("chunk_trials", 0),
        ("n_per_arm", 1),
        ("effect", float("nan")),
    ],
)
def test_bad_arguments_name_themselves(argument: str, value: float) -> None:
    given = {"n_trials": 2, "effect": 0.0, "seed": 1, "chunk_trials": 10, "n_per_arm": None}
    given[argument] = value
    with pytest.raises(SimulationError, match=f"^{argument}: got"):
        run_trials(PROTOCOL, POP, **given)  # type: ignore[arg-type]


def test_the_simulated_test_is_the_protocols_level_and_sidedness() -> None:
    endpoints = dataclasses.replace(PROTOCOL.endpoints, alpha=0.2, sidedness=Sidedness.ONE_SIDED)
    plan = dataclasses.replace(PROTOCOL, endpoints=endpoints)
    trials = run_trials(plan, POP, n_trials=40, effect=0.5, seed=3).per_trial
    assert (trials["significant"] == (trials["p_value"] <= 0.2)).all()
    for row in trials.head(5).itertuples():
        table = [
            [row.responders_mmf, row.n_mmf - row.responders_mmf],
            [row.responders_placebo, row.n_placebo - row.responders_placebo],
        ]
        assert row.p_value == pytest.approx(fisher_exact(table, alternative="greater").pvalue)
