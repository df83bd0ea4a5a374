"""Loading by name or path, and reporting every problem of a file at once."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from mmntrial.errors import ProtocolError
from mmntrial.protocol.loader import load_protocol, parse_protocol
from tests.protocol.helpers import messages

_PIEPERS_TEXT = (
    resources.files("mmntrial.protocol").joinpath("builtin/piepers-2007.toml").read_text("utf-8")
)


def test_load_from_a_path_sets_origin(tmp_path: Path) -> None:
    path = tmp_path / "copy.toml"
    path.write_text(_PIEPERS_TEXT, encoding="utf-8")
    by_path = load_protocol(path)
    by_str = load_protocol(str(path))
    assert by_path == load_protocol("piepers-2007")
    assert by_path.origin == by_str.origin == str(path)


def test_a_file_named_like_no_builtin_is_read_as_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mytrial").write_text(_PIEPERS_TEXT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load_protocol("mytrial").origin == "mytrial"


def test_a_directory_is_not_a_protocol(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError) as caught:
        load_protocol(tmp_path)
    assert [p.code for p in caught.value.problems] == ["PROTO-E003"]


def test_parse_sets_origin_to_source(piepers: dict[str, Any]) -> None:
    assert parse_protocol(piepers, "from-data").origin == "from-data"


def test_ints_are_accepted_where_floats_are_expected(piepers: dict[str, Any]) -> None:
    piepers["taper"]["step_percent"] = 25
    piepers["deterioration"]["criteria"][0]["threshold"] = 2
    protocol = parse_protocol(piepers, "ints")
    assert isinstance(protocol.taper.step_percent, float)
    assert isinstance(protocol.deterioration.criteria[0].threshold, float)


def test_defaults_fill_optional_keys(piepers: dict[str, Any]) -> None:
    del piepers["deterioration"]["combine"]
    del piepers["deterioration"]["unrepeated"]
    del piepers["measures"]["mrc_missing"]
    del piepers["arms"][0]["ratio"]
    protocol = parse_protocol(piepers, "defaults")
    assert protocol.deterioration.combine.value == "any"
    assert protocol.deterioration.unrepeated.value == "counts"
    assert protocol.measures.mrc_missing == "missing"
    assert protocol.arms[0].ratio == 1
    assert protocol.arms[0].regimen[0].every_days == 1


def test_a_file_with_several_errors_reports_all_of_them(tmp_path: Path) -> None:
    text = (
        _PIEPERS_TEXT.replace("start_day = 91", "stat_day = 91")
        .replace("ratio = 1                                  #", "ratio = true #")
        .replace('mrc_missing = "missing"', 'mrc_missing = "zero"')
        .replace("age_min_years = 18", "age_min_years = 90")
        .replace('{ name = "M4",  day = 122', '{ name = "M4",  day = 20')
    )
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)
    found = [str(p) for p in caught.value.problems]
    assert found == [
        "PROTO-E006 arms[0].ratio: got True, expected an integer, not a boolean",
        "PROTO-E004 taper.stat_day: got 'stat_day', expected a key of [taper] "
        "(did you mean 'start_day'?)",
        "PROTO-E005 taper.start_day: got nothing, expected integer >= 0 and <= 3653 (required)",
        'PROTO-E008 measures.mrc_missing: got \'zero\', expected one of "missing", "impute_last"',
        "PROTO-E011 schedule.visits[4].day: got 20, expected a day after 91 "
        "(schedule.visits[3].day): days strictly increase",
        "PROTO-E026 eligibility.age_min_years: got 90, expected at most "
        "eligibility.age_max_years (80)",
    ]
    message = str(caught.value)
    assert message.startswith(f"protocol {path}: 6 problems\n")
    assert all(f"  {line}" in message for line in found)


def test_an_unknown_table_is_reported_with_the_missing_one(piepers: dict[str, Any]) -> None:
    piepers["taperr"] = piepers.pop("taper")
    found = messages(piepers)
    assert found[:2] == [
        "PROTO-E004 taperr: got 'taperr', expected a key of the top level (did you mean 'taper'?)",
        "PROTO-E005 taper: got nothing, expected table (required)",
    ]


def test_not_a_table_at_the_top(piepers: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_protocol([piepers], "list")  # type: ignore[arg-type]
    (problem,) = caught.value.problems
    assert (problem.code, problem.key) == ("PROTO-E006", "(top level)")
    assert problem.expected == "a table, not a list"


def test_a_bad_side_is_reported_once(piepers: dict[str, Any]) -> None:
    piepers["deterioration"]["criteria"][1]["side"] = "left"
    assert messages(piepers) == [
        'PROTO-E008 deterioration.criteria[1].side: got \'left\', expected one of "either", "both"'
    ]


def test_minimization_section_iff_method(piepers: dict[str, Any]) -> None:
    piepers["randomization"] = {"method": "minimization"}
    assert messages(piepers) == [
        "PROTO-E019 randomization.minimization: got nothing, expected table "
        '(required when randomization.method = "minimization")'
    ]
    piepers["randomization"] = {
        "method": "minimization",
        "minimization": {"imbalance": "range", "p_preferred": 1, "factor_weights": {"centre": 1}},
    }
    assert parse_protocol(piepers, "ok").randomization.minimization is not None


def test_minimization_values_are_checked(piepers: dict[str, Any]) -> None:
    piepers["randomization"] = {
        "method": "minimization",
        "minimization": {
            "imbalance": "max",
            "p_preferred": 0.5,
            "factor_weights": {"centre": 0, "anti_gm1": -1.5},
        },
    }
    assert messages(piepers) == [
        "PROTO-E008 randomization.minimization.imbalance: got 'max', expected one of \"range\", "
        '"variance"',
        "PROTO-E007 randomization.minimization.p_preferred: got 0.5, expected a number > 0.5 "
        "and <= 1",
        "PROTO-E007 randomization.minimization.factor_weights.centre: got 0, expected a "
        "number > 0 and <= 100",
        "PROTO-E007 randomization.minimization.factor_weights.anti_gm1: got -1.5, expected a "
        "number > 0 and <= 100",
    ]


def test_strata_for_a_method_without_strata(piepers: dict[str, Any]) -> None:
    piepers["randomization"]["method"] = "simple"
    assert messages(piepers) == [
        "PROTO-E020 randomization.block_sizes: got [2, 4], expected no block_sizes when "
        'randomization.method = "simple" (it applies only when method = "blocks" or '
        '"stratified_blocks")',
        "PROTO-E020 randomization.strata: got ['centre'], expected no strata when "
        'randomization.method = "simple" (it applies only when method = "stratified_blocks")',
    ]


def test_a_bad_visit_is_not_blamed_on_criteria_or_endpoints(piepers: dict[str, Any]) -> None:
    piepers["schedule"]["visits"][0]["measures"][0] = "mrc_summ"
    found = messages(piepers)
    assert len(found) == 1
    assert found[0].startswith("PROTO-E008 schedule.visits[0].measures[0]: got 'mrc_summ'")
