"""The built-in protocols load, are what their names say, and round-trip as data."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from mmntrial.protocol.loader import builtin_names, load_protocol, parse_protocol
from mmntrial.protocol.model import (
    AfterDeterioration,
    Cadence,
    Combine,
    Reference,
    SideRule,
    TaperMode,
    Unrepeated,
    WithdrawalRule,
)
from mmntrial.protocol.serialize import protocol_to_dict

BUILTINS = ["cidp-levels", "interval-lengthening", "piepers-2007"]


def test_builtin_names_lists_the_toml_files() -> None:
    assert builtin_names() == BUILTINS


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_loads_under_its_own_name(name: str) -> None:
    protocol = load_protocol(name)
    assert protocol.name == name
    assert protocol.origin == f"builtin:{name}"


@pytest.mark.parametrize("name", BUILTINS)
def test_round_trip_through_protocol_to_dict(name: str) -> None:
    protocol = load_protocol(name)
    data = protocol_to_dict(protocol)
    assert parse_protocol(data, "round trip") == protocol
    # JSON keeps it whole: enums are their values, tuples lists, no Python objects left.
    assert parse_protocol(json.loads(json.dumps(data)), "via json") == protocol


@pytest.mark.parametrize("name", BUILTINS)
def test_every_source_comment_is_tagged_or_an_assumption(name: str) -> None:
    """Each commented value line cites a source tag, DOMAIN.md, or says ASSUMPTION."""
    text = (
        resources.files("mmntrial.protocol")
        .joinpath(f"builtin/{name}.toml")
        .read_text(encoding="utf-8")
    )
    untagged = [
        line
        for line in text.splitlines()
        if "=" in line.split("#")[0]
        and "#" in line
        and not any(mark in line for mark in ("[S", "ASSUMPTION", "DOMAIN.md"))
    ]
    assert untagged == []


def test_piepers_2007_is_the_reference_design() -> None:
    p = load_protocol("piepers-2007")
    assert [arm.name for arm in p.arms] == ["mmf", "placebo"]
    assert p.arms[0].regimen[1].dose_mg == 1000.0
    assert p.taper.start_day == 91
    assert p.taper.dose_levels_percent() == (100.0, 75.0, 50.0, 25.0, 0.0)
    assert p.endpoints.primary.reduction_percent == 50.0
    assert p.schedule.last_day == 365


def test_cidp_levels_uses_the_level_taper_and_minimization() -> None:
    p = load_protocol("cidp-levels")
    assert p.taper.mode is TaperMode.LEVELS
    assert p.taper.levels_percent == (90.0, 75.0, 50.0, 25.0, 0.0)
    assert p.taper.cadence is Cadence.EVERY_N_WEEKS
    assert p.taper.cadence_weeks == 12
    assert p.taper.after_deterioration is AfterDeterioration.RESTORE_AND_RESUME
    assert p.taper.resume_after_weeks is not None
    assert [arm.ratio for arm in p.arms] == [2, 1]
    assert p.randomization.method == "minimization"
    assert p.randomization.minimization is not None
    assert dict(p.randomization.minimization.factor_weights) == {"centre": 1.0, "anti_gm1": 1.0}
    assert p.arms[0].regimen[1].every_days == 14


def test_interval_lengthening_exercises_the_other_options() -> None:
    p = load_protocol("interval-lengthening")
    assert p.taper.mode is TaperMode.INTERVAL
    assert (p.taper.interval_step_days, p.taper.max_interval_days) == (7, 84)
    assert p.taper.cadence is Cadence.EVERY_INFUSION
    assert p.deterioration.combine is Combine.ALL
    assert p.deterioration.unrepeated is Unrepeated.DISMISSED
    grip = next(c for c in p.deterioration.criteria if c.measure == "grip_kpa")
    assert grip.reference is Reference.BEST_ON_STUDY
    assert p.taper.rescue is not None
    assert p.taper.rescue.dose_g_per_kg == 2.0
    assert {c.side for c in p.taper.rescue.criteria} == {None, SideRule.BOTH}
    assert p.endpoints.primary.withdrawal is WithdrawalRule.LAST_REGIMEN
    assert p.randomization.method == "blocks"
