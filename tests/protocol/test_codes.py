"""One test per PROTO code: the exact message (code, dotted key, value received, expected).

Each case edits piepers-2007 in one place and names the message that must appear.
A test at the end makes sure that every code of the table has its case here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mmntrial.errors import ProtocolError
from mmntrial.protocol.codes import CODES
from mmntrial.protocol.loader import load_protocol
from mmntrial.sources import references
from tests.protocol.helpers import messages, piepers_data

Edit = Callable[[dict[str, Any]], None]


def _set(path: str, value: object) -> Edit:
    """An edit that sets the dotted ``path`` (integers index lists) to ``value``."""

    def edit(data: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node: Any = data
        for part in parents:
            node = node[part]
        node[last] = value

    return edit


def _delete(path: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node: Any = data
        for part in parents:
            node = node[part]
        del node[last]

    return edit


def _all(*edits: Edit) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        for one in edits:
            one(data)

    return edit


def _without_measure(measure: str, visits: range) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        for i in visits:
            data["schedule"]["visits"][i]["measures"].remove(measure)

    return edit


_LEVELS = _all(_set("taper.mode", "levels"), _delete("taper.step_percent"))
_INTERVAL = _all(
    _set("taper.mode", "interval"),
    _delete("taper.step_percent"),
    _set("taper.interval_step_days", 7),
)
_DAYS = "[0, 30, 61, 91, 122, 152, 182, 213, 243, 274, 304, 335, 365]"

# (code, edit of piepers-2007, a message that must be among the problems)
CASES: list[tuple[str, Edit, str]] = [
    (
        "PROTO-E004",
        _set("taper.stat_day", 91),
        "PROTO-E004 taper.stat_day: got 'stat_day', expected a key of [taper] "
        "(did you mean 'start_day'?)",
    ),
    (
        "PROTO-E004",
        _set("deterioration.criteria.1.sides", "either"),
        "PROTO-E004 deterioration.criteria[1].sides: got 'sides', expected a key of "
        "[deterioration.criteria[1]] (did you mean 'side'?)",
    ),
    (
        "PROTO-E005",
        _delete("taper.start_day"),
        "PROTO-E005 taper.start_day: got nothing, expected integer >= 0 and <= 3653 (required)",
    ),
    (
        "PROTO-E006",
        _set("arms.1.ratio", True),
        "PROTO-E006 arms[1].ratio: got True, expected an integer, not a boolean",
    ),
    (
        "PROTO-E006",
        _set("taper.start_day", 91.0),
        "PROTO-E006 taper.start_day: got 91.0, expected an integer, not a float",
    ),
    (
        "PROTO-E006",
        _set("deterioration.criteria.0.threshold", "2"),
        "PROTO-E006 deterioration.criteria[0].threshold: got '2', expected a number, not a string",
    ),
    (
        "PROTO-E007",
        _set("taper.floor_percent", 100),
        "PROTO-E007 taper.floor_percent: got 100, expected a number >= 0 and < 100",
    ),
    (
        "PROTO-E007",
        _set("deterioration.criteria.0.threshold", float("nan")),
        "PROTO-E007 deterioration.criteria[0].threshold: got nan, expected a finite number > 0 "
        "and <= 250",
    ),
    (
        "PROTO-E008",
        _set("measures.mrc_missing", "zero"),
        'PROTO-E008 measures.mrc_missing: got \'zero\', expected one of "missing", "impute_last"',
    ),
    (
        "PROTO-E008",
        _set("randomization.method", "urn"),
        'PROTO-E008 randomization.method: got \'urn\', expected one of "simple", "blocks", '
        '"stratified_blocks", "minimization"',
    ),
    (
        "PROTO-E009",
        _set("protocol.sources", ["S1", "Piepers"]),
        "PROTO-E009 protocol.sources[1]: got 'Piepers', expected a source tag such as 'S1'",
    ),
    (
        "PROTO-E009",
        _set("protocol.sources", ["S1", "S6"]),
        "PROTO-E009 protocol.sources[1]: got 'S6', expected a source tag listed in "
        f"docs/sources.md ({', '.join(references())})",
    ),
    (
        "PROTO-E010",
        _set("arms.1.name", "mmf"),
        "PROTO-E010 arms[1].name: got 'mmf', expected a name not used before (as arms[0].name)",
    ),
    (
        "PROTO-E011",
        _set("schedule.visits.4.day", 91),
        "PROTO-E011 schedule.visits[4].day: got 91, expected a day after 91 "
        "(schedule.visits[3].day): days strictly increase",
    ),
    (
        "PROTO-E012",
        _set("taper.start_day", 400),
        "PROTO-E012 taper.start_day: got 400, expected a day before the last visit (365)",
    ),
    (
        "PROTO-E013",
        _all(
            _set("deterioration.criteria.2.measure", "onls_arm"),
        ),
        "PROTO-E013 deterioration.criteria[2].measure: got 'onls_arm', expected a measure "
        "that some visit collects (anti_gm1_log2, gnds_lower, gnds_upper, grip_kpa, mrc_sum)",
    ),
    (
        "PROTO-E014",
        _set("deterioration.criteria.0.direction", "increase"),
        "PROTO-E014 deterioration.criteria[0].direction: got 'increase', expected "
        '"decrease", the direction in which mrc_sum gets worse',
    ),
    (
        "PROTO-E015",
        _set("deterioration.criteria.0.side", "either"),
        "PROTO-E015 deterioration.criteria[0].side: got 'either', expected no side: "
        "mrc_sum is not taken per side",
    ),
    (
        "PROTO-E016",
        _delete("deterioration.criteria.1.side"),
        'PROTO-E016 deterioration.criteria[1].side: got nothing, expected "either" or '
        '"both": grip_kpa is taken on each side',
    ),
    (
        "PROTO-E017",
        _set("eligibility.efns_categories", []),
        "PROTO-E017 eligibility.efns_categories: got 0, expected at least 1 item",
    ),
    (
        "PROTO-E017",
        lambda data: data["arms"].pop(),
        "PROTO-E017 arms: got 1, expected at least 2 items",
    ),
    (
        "PROTO-E018",
        _all(_LEVELS, _set("taper.levels_percent", [90, 75, 80, 25])),
        "PROTO-E018 taper.levels_percent[2]: got 80.0, expected a level below 75 "
        "(levels strictly decrease)",
    ),
    (
        "PROTO-E019",
        _LEVELS,
        "PROTO-E019 taper.levels_percent: got nothing, expected list (at least 1) of "
        'number >= 0 and < 100 (required when taper.mode = "levels")',
    ),
    (
        "PROTO-E019",
        _set("taper.cadence", "every_n_weeks"),
        "PROTO-E019 taper.cadence_weeks: got nothing, expected integer >= 1 and <= 521 "
        '(required when taper.cadence = "every_n_weeks")',
    ),
    (
        "PROTO-E020",
        _set("taper.levels_percent", [50, 25]),
        "PROTO-E020 taper.levels_percent: got [50, 25], expected no levels_percent when "
        'taper.mode = "percent_step" (it applies only when mode = "levels")',
    ),
    (
        "PROTO-E020",
        _set("taper.resume_after_weeks", 12),
        "PROTO-E020 taper.resume_after_weeks: got 12, expected no resume_after_weeks when "
        'taper.after_deterioration = "restore_and_stop" (it applies only when '
        'after_deterioration = "restore_and_resume")',
    ),
    (
        "PROTO-E020",
        _set("randomization.method", "blocks"),
        "PROTO-E020 randomization.strata: got ['centre'], expected no strata when "
        'randomization.method = "blocks" (it applies only when method = "stratified_blocks")',
    ),
    (
        "PROTO-E020",
        _set("endpoints.secondary.4.at_day", 91),
        "PROTO-E020 endpoints.secondary[4].at_day: got 91, expected no at_day when "
        'endpoints.secondary[4].kind = "time_to_deterioration" (it applies only when '
        'kind = "change")',
    ),
    (
        "PROTO-E021",
        _set("taper.floor_percent", 80),
        "PROTO-E021 taper.floor_percent: got 80.0, expected a floor at or below the first "
        "taper step (75% of baseline)",
    ),
    (
        "PROTO-E022",
        _set("arms.0.regimen.1.from_day", 0),
        "PROTO-E022 arms[0].regimen[1].from_day: got 0, expected a day after 0: regimen "
        "steps strictly increase in from_day",
    ),
    (
        "PROTO-E023",
        _set("arms.1.regimen.0.from_day", 3),
        "PROTO-E023 arms[1].regimen[0].from_day: got 3, expected 0: the study drug starts "
        "at randomization",
    ),
    (
        "PROTO-E024",
        _set("endpoints.secondary.0.at_day", 100),
        "PROTO-E024 endpoints.secondary[0].at_day: got 100, expected the day of a visit "
        f"that collects mrc_sum (days {_DAYS})",
    ),
    (
        "PROTO-E024",
        _without_measure("gnds_upper", range(1)),
        "PROTO-E024 endpoints.secondary[2].measure: got 'gnds_upper', expected a measure "
        "collected at a day-0 visit (the change is from day 0)",
    ),
    (
        "PROTO-E025",
        _set("endpoints.primary.day", 400),
        "PROTO-E025 endpoints.primary.day: got 400, expected a day on or before the last "
        "visit (365)",
    ),
    (
        "PROTO-E026",
        _set("eligibility.age_min_years", 90),
        "PROTO-E026 eligibility.age_min_years: got 90, expected at most "
        "eligibility.age_max_years (80)",
    ),
    (
        "PROTO-E026",
        _set("eligibility.ivig_interval_days_min", 42),
        "PROTO-E026 eligibility.ivig_interval_days_min: got 42, expected at most "
        "eligibility.ivig_interval_days_max (35)",
    ),
    (
        "PROTO-E027",
        _set("arms.0.ratio", 2),
        "PROTO-E027 randomization.block_sizes[0]: got 2, expected a multiple of 3, the sum "
        "of the arm ratios (2:1)",
    ),
    (
        "PROTO-E028",
        _all(
            _without_measure("gnds_lower", range(4)),
            _set("deterioration.criteria.2.measure", "gnds_lower"),
        ),
        "PROTO-E028 deterioration.criteria[2].reference: got 'pre_taper', expected a visit "
        "on or before taper.start_day (91) that collects gnds_lower, or reference = "
        '"best_on_study"',
    ),
    (
        "PROTO-E029",
        _all(_INTERVAL, _set("taper.max_interval_days", 14)),
        "PROTO-E029 taper.max_interval_days: got 14, expected more than "
        "eligibility.ivig_interval_days_min (14), or no patient can take a step",
    ),
    (
        "PROTO-E030",
        _set("endpoints.primary.day", 91),
        "PROTO-E030 endpoints.primary.day: got 91, expected a day after taper.start_day "
        "(91): no reduction happens before the taper",
    ),
    (
        "PROTO-E031",
        _set("safety.lab_schedule.phases.1.from_day", 0),
        "PROTO-E031 safety.lab_schedule.phases[1].from_day: got 0, expected a day after 0 "
        "(safety.lab_schedule.phases[0].from_day): phases follow each other",
    ),
    (
        "PROTO-E031",
        _set("safety.lab_schedule.until_day", 90),
        "PROTO-E031 safety.lab_schedule.until_day: got 90, expected a day on or after the "
        "last phase's start (safety.lab_schedule.phases[2].from_day = 91)",
    ),
    (
        "PROTO-E032",
        _set("safety.graded_labs", ["neutrophils"]),
        "PROTO-E032 safety.rules[1].labs[1]: got 'wbc', expected a lab of "
        "safety.graded_labs (neutrophils)",
    ),
    (
        "PROTO-E009",
        _set("safety.rules.0.source", "S999"),
        "PROTO-E009 safety.rules[0].source: got 'S999', expected a source tag listed in "
        f"docs/sources.md ({', '.join(references())})",
    ),
    (
        "PROTO-E010",
        _set("safety.rules.1.id", "neutrophils_low"),
        "PROTO-E010 safety.rules[1].id: got 'neutrophils_low', expected a name not used "
        "before (as safety.rules[0].id)",
    ),
    (
        "PROTO-E019",
        _delete("safety.rules.0.threshold"),
        "PROTO-E019 safety.rules[0].threshold: got nothing, expected number > 0 and <= "
        '10000 (required when safety.rules[0].kind = "lab_below")',
    ),
    (
        "PROTO-E020",
        _set("safety.rules.0.terms", ["ataxia"]),
        "PROTO-E020 safety.rules[0].terms: got ['ataxia'], expected no terms when "
        'safety.rules[0].kind = "lab_below" (it applies only when kind = "ae_term")',
    ),
]

# Codes whose case stands alone: exactly this one problem and no other.
_ALONE = {"PROTO-E004", "PROTO-E006", "PROTO-E010", "PROTO-E014", "PROTO-E016", "PROTO-E026"}


@pytest.mark.parametrize(("code", "edit", "expected"), CASES, ids=[c[0] for c in CASES])
def test_message_shape(code: str, edit: Edit, expected: str) -> None:
    data = piepers_data()
    edit(data)
    found = messages(data)
    assert expected in found, "\n".join(found)
    assert expected.startswith(code + " ")
    if code in _ALONE:
        assert found == [expected]


def test_e001_unknown_name_lists_the_builtins() -> None:
    with pytest.raises(ProtocolError) as caught:
        load_protocol("piepers-2008")
    assert [str(p) for p in caught.value.problems] == [
        "PROTO-E001 protocol: got 'piepers-2008', expected a built-in protocol "
        "(cidp-levels, interval-lengthening, piepers-2007) or a path to a .toml file"
    ]


def test_e002_toml_syntax_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('[protocol]\nname = "x"\ntaper start = 4\n', encoding="utf-8")
    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)
    assert [str(p) for p in caught.value.problems] == [
        "PROTO-E002 line 3, column 7: got 'taper start = 4', expected valid TOML: "
        "Expected '=' after a key in a key/value pair"
    ]


def test_e002_at_end_of_file(tmp_path: Path) -> None:
    path = tmp_path / "unclosed.toml"
    path.write_text('[protocol]\nname = "x\n\n', encoding="utf-8")
    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)
    assert [str(p) for p in caught.value.problems] == [
        "PROTO-E002 line 2, column 10: got 'name = \"x', expected valid TOML: "
        "Illegal character '\\n'"
    ]
    path.write_text("[protocol]\nsources = [1,", encoding="utf-8")
    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)
    assert [str(p) for p in caught.value.problems] == [
        "PROTO-E002 end of file: got 'sources = [1,', expected valid TOML: Invalid value"
    ]


def test_e003_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(ProtocolError) as caught:
        load_protocol(str(path))
    assert [str(p) for p in caught.value.problems] == [
        f"PROTO-E003 file: got {str(path)!r}, expected a readable TOML file "
        "(No such file or directory)"
    ]


def test_e003_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('title = "Guy\'s scale \xe9"\n'.encode("latin-1"))
    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)
    (problem,) = caught.value.problems
    assert problem.code == "PROTO-E003"
    assert problem.expected == "a UTF-8 text file (invalid continuation byte)"


def test_every_code_has_a_case() -> None:
    covered = {case[0] for case in CASES} | {"PROTO-E001", "PROTO-E002", "PROTO-E003"}
    assert covered == set(CODES)
