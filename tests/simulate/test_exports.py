"""The public names of simulate's sub-packages, pinned (one concern each)."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "mmntrial.simulate.population": [
        "CODES",
        "Population",
        "PopulationError",
        "load_population",
        "parse_population",
        "population_names",
    ],
    "mmntrial.simulate.trials": [
        "ArmSummary",
        "DesignSummary",
        "TrialResults",
        "arm_roles",
        "check_arguments",
        "run_chunk",
        "run_trials",
        "summarize_trials",
    ],
    "mmntrial.simulate.sweep": [
        "SWEEP_DEFAULTS",
        "SweepPlan",
        "SweepResult",
        "load_sweep",
        "make_plan",
        "point_summary",
        "run_sweep",
    ],
}


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_api_is_pinned(name: str) -> None:
    module = importlib.import_module(name)
    assert sorted(module.__all__) == PUBLIC[name]
    assert all(hasattr(module, member) for member in module.__all__)
