"""Population files: the built-in loads, every value has a source, every problem is reported."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from mmntrial.errors import SimulationError
from mmntrial.protocol.model import SAFETY_LABS
from mmntrial.simulate.population import (
    CODES,
    PopulationError,
    load_population,
    parse_population,
    population_names,
)


@pytest.fixture
def raw() -> dict[str, Any]:
    text = (
        resources.files("mmntrial.simulate.population")
        .joinpath("builtin/mmn-default.toml")
        .read_text()
    )
    return tomllib.loads(text)


def codes_of(error: PopulationError) -> list[tuple[str, str]]:
    return [(p.code, p.key) for p in error.problems]


def test_the_default_population_loads_with_a_source_for_every_value() -> None:
    pop = load_population("mmn-default")
    assert "mmn-default" in population_names()
    assert pop.trial.n_per_arm == 14
    # Tuned to the half-life spread (issue 11), and the file says so.
    assert pop.pk.cl_cv == 0.25
    assert pop.sources["pk.cl_cv"].startswith("ASSUMPTION (calibrated)")
    assert len(pop.sources) > 60
    assert all(s.startswith(("S", "ASSUMPTION")) for s in pop.sources.values())


def test_a_population_loads_from_a_path(tmp_path: Path) -> None:
    text = (
        resources.files("mmntrial.simulate.population")
        .joinpath("builtin/mmn-default.toml")
        .read_text()
    )
    path = tmp_path / "mine.toml"
    path.write_text(text.replace('name = "mmn-default"', 'name = "mine"'))
    assert load_population(path).name == "mine"
    assert load_population(str(path)).origin == str(path)


def test_every_problem_is_reported_at_once(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    data["covariates"]["male_fraction"]["value"] = 1.5  # out of range
    data["noise"]["mrc_sum_sd"]["source"] = "folklore"  # not a source
    del data["drug"]["interruption_days"]  # missing
    data["need"]["remission_fractoin"] = data["need"].pop("remission_fraction")  # typo
    data["trial"]["n_per_arm"]["value"] = 14.5  # not an integer
    with pytest.raises(PopulationError) as caught:
        parse_population(data, "edited")
    assert set(codes_of(caught.value)) >= {
        ("POP-E007", "covariates.male_fraction.value"),
        ("POP-E009", "noise.mrc_sum_sd.source"),
        ("POP-E005", "drug.interruption_days"),
        ("POP-E004", "need.remission_fractoin"),
        ("POP-E005", "need.remission_fraction"),
        ("POP-E006", "trial.n_per_arm.value"),
    }
    assert "did you mean 'remission_fraction'" in str(caught.value)
    assert all(p.code in CODES for p in caught.value.problems)


def test_contradictions_have_their_own_codes(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    data["need"]["remission_fraction"]["value"] = 0.7
    data["need"]["overtreated_fraction"]["value"] = 0.5
    data["need"]["overtreated_need_min"]["value"] = 0.9
    data["regimen"]["interval_weights"]["value"] = [1.0, 1.0]
    with pytest.raises(PopulationError) as caught:
        parse_population(data, "edited")
    assert [code for code, _ in codes_of(caught.value)] == ["POP-E040", "POP-E041", "POP-E042"]


def test_a_lab_range_upside_down_and_crossed_episode_bounds_are_refused(
    raw: dict[str, Any],
) -> None:
    data = copy.deepcopy(raw)
    data["labs"]["platelets_lln"]["value"] = 400.0
    data["labs"]["leukopenia_neutrophils_min"]["value"] = 1.5
    with pytest.raises(PopulationError) as caught:
        parse_population(data, "edited")
    assert codes_of(caught.value) == [
        ("POP-E041", "labs.leukopenia_neutrophils_min.value"),
        ("POP-E043", "labs.platelets_lln.value"),
    ]
    assert "got 400.0, expected below labs.platelets_uln (400)" in str(caught.value)


def test_the_default_population_gives_every_simulated_lab_its_range() -> None:
    labs = load_population("mmn-default").labs
    for lab in SAFETY_LABS:
        draw = labs.of(lab)
        assert 0 < draw.lln < draw.median < draw.uln, lab
    # The fixed LLNs the simulator graded against before ranges were data.
    assert (labs.of("neutrophils").lln, labs.of("wbc").lln) == (2.0, 4.0)


def test_unknown_names_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(PopulationError, match="POP-E001"):
        load_population("mmn-nonsense")
    with pytest.raises(PopulationError, match="POP-E003"):
        load_population(tmp_path / "absent.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[trial\n")
    with pytest.raises(PopulationError, match="POP-E002") as caught:
        load_population(bad)
    assert isinstance(caught.value, SimulationError)
