"""Design grids and sweeps: points, errors, and the same results on any number of workers."""

from __future__ import annotations

import pandas as pd
import pytest

from mmntrial.errors import ProtocolError, SimulationError
from mmntrial.protocol.loader import load_protocol
from mmntrial.simulate.population import load_population
from mmntrial.simulate.sweep import load_sweep, make_plan, run_sweep
from mmntrial.simulate.sweep.execute import (
    chunk_sizes,
    dask_client,
    plan_tasks,
    run_local,
    run_on_client,
)
from mmntrial.simulate.sweep.grid import design_points
from mmntrial.simulate.trials import run_trials

PIEPERS = load_protocol("piepers-2007")


def test_points_cover_the_product_last_axis_fastest() -> None:
    points = design_points(
        PIEPERS, {"effect": [0.0, 0.5], "cadence_weeks": [0, 12], "threshold.grip_kpa": [8, 12]}
    )
    assert len(points) == 8
    assert [p.effect for p in points[:2]] == [0.0, 0.0]
    last = points[-1]
    assert last.effect == 0.5
    assert last.protocol.taper.cadence.value == "every_n_weeks"
    assert last.protocol.taper.cadence_weeks == 12
    grip = [c for c in last.protocol.deterioration.criteria if c.measure == "grip_kpa"]
    assert grip[0].threshold == 12.0
    assert last.label == "effect=0.5, cadence_weeks=12, threshold.grip_kpa=12"


def test_a_variant_that_breaks_the_protocol_names_the_point_and_the_code() -> None:
    with pytest.raises(ProtocolError, match=r"design point 1 .*\n  PROTO-E007 taper.step_percent"):
        design_points(PIEPERS, {"taper.step_percent": [25, 150]})


@pytest.mark.parametrize(
    ("axes", "message"),
    [
        ({"effect": [1.0]}, r"effect: got 1.0, expected a number in \[0, 1\)"),
        ({"effect": [-0.1]}, r"effect: got -0.1"),
        ({"n_per_arm": [0]}, r"n_per_arm: got 0, expected a whole number from 2 to 1,000"),
        ({"n_per_arm": [1]}, r"n_per_arm: got 1, expected a whole number from 2 to 1,000"),
        ({"effect": []}, r"effect: got \[\], expected a non-empty list"),
        ({"threshold.onls_arm": [1]}, r"no deterioration criterion on 'onls_arm'"),
        ({"taper.nothing.deep": [1]}, r"not a key of the protocol file"),
    ],
)
def test_bad_axes_are_refused(axes: dict[str, list[object]], message: str) -> None:
    with pytest.raises(SimulationError, match=message):
        design_points(PIEPERS, axes)


def test_chunks_are_full_except_the_last() -> None:
    assert chunk_sizes(25, 10) == [10, 10, 5]
    with pytest.raises(SimulationError, match="trials: got 0"):
        chunk_sizes(0, 10)


def test_a_sweep_point_equals_run_trials_with_the_same_seed() -> None:
    population = load_population("mmn-default")
    plan = make_plan(
        protocol=PIEPERS,
        population=population,
        axes={"effect": [0.3]},
        trials=12,
        seed=5,
        chunk_trials=5,
    )
    swept = run_sweep(plan).per_trial.drop(columns=["point"])
    direct = run_trials(PIEPERS, population, n_trials=12, effect=0.3, seed=5, chunk_trials=5)
    pd.testing.assert_frame_equal(swept, direct.per_trial.reset_index(drop=True))


def test_results_do_not_depend_on_the_number_of_dask_workers() -> None:
    population = load_population("mmn-default")
    points = design_points(PIEPERS, {"effect": [0.0, 0.5]})
    tasks = plan_tasks(points, population, trials=9, seed=11, chunk_trials=4)
    local = run_local(tasks)
    with dask_client(workers=2) as client:
        on_cluster = run_on_client(client, tasks)
        assert len(client.scheduler_info()["workers"]) == 2
    pd.testing.assert_frame_equal(local, on_cluster)
    assert sorted(local["point"].unique()) == [0, 1]


def test_sweep_file_is_read_and_checked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "grid.toml"
    good.write_text(
        '[sweep]\nprotocol = "piepers-2007"\ntrials = 3\nseed = 2\n'
        '[grid]\nn_per_arm = [7]\n"taper.step_percent" = [25, 50]\n'
    )
    plan = load_sweep(good)
    assert [p.protocol.taper.step_percent for p in plan.points] == [25.0, 50.0]
    assert plan.trials == 3
    assert load_sweep(good, {"trials": 9}).trials == 9  # the command line's --trials
    bad = tmp_path / "bad.toml"
    bad.write_text("[sweep]\ntrails = 3\n[grid]\neffect = [0]\n")
    with pytest.raises(SimulationError, match=r"got keys \['trails'\] in \[sweep\]"):
        load_sweep(bad)


@pytest.mark.parametrize("address", ["garbage://x", "nonsense://", "htp://127.0.0.1:8786"])
def test_an_unreachable_kind_of_address_is_refused_before_any_client(
    address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Client that fails half-built leaves a coroutine that warns when the garbage
    # collector finds it, later, in whatever test runs then: none may be made.
    import distributed

    def no_client(*args: object, **kwargs: object) -> None:
        raise AssertionError("a Client was constructed for an address no transport knows")

    monkeypatch.setattr(distributed, "Client", no_client)
    refused = pytest.raises(SimulationError, match=f"scheduler: got '{address}', could not")
    with refused, dask_client(scheduler=address):
        pass
