"""Contradictions between keys that are each valid on their own.

The reader has already checked every key's type and range; what is left out of its
output was invalid or missing and is skipped here, so that one mistake is reported
once and the rest of the file is still judged. Each check returns its problems;
:func:`check` runs them all.

>>> from mmntrial.protocol.reader import read
>>> data, _, given = read({"taper": {"start_day": 400}, "schedule": {"visits": [
...     {"name": "M0", "day": 0, "window_days": 0, "measures": ["mrc_sum"]},
...     {"name": "M12", "day": 365, "window_days": 7, "measures": ["mrc_sum"]}]}})
>>> [str(p) for p in check(data, given)]
['PROTO-E012 taper.start_day: got 400, expected a day before the last visit (365)']
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import Any

from mmntrial.errors import Problem
from mmntrial.measures.catalogue import MEASURES
from mmntrial.protocol.reader import MISSING, Data
from mmntrial.sources import references


def _table(data: Data, *path: str) -> Data:
    """The table at ``path``, or an empty one when it is missing or invalid."""
    for key in path:
        value = data.get(key)
        data = value if isinstance(value, dict) else {}
    return data


def _items(data: Data, *path: str) -> list[tuple[int, Data]]:
    """The valid tables of the array at ``path``, with their indices in the file."""
    *parent, last = path
    value = _table(data, *parent).get(last)
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def _visits(data: Data) -> list[tuple[int, Data]]:
    return [(i, v) for i, v in _items(data, "schedule", "visits") if "day" in v]


def _schedule_complete(data: Data) -> bool:
    """Whether every visit has a valid day and measures.

    Checks of what visits collect run only then: with one visit unreadable (already
    reported) they would blame a criterion or an endpoint for the visit's mistake.
    """
    raw = _table(data, "schedule").get("visits")
    visits = _items(data, "schedule", "visits")
    return (
        isinstance(raw, list)
        and len(visits) == len(raw) > 0
        and all("day" in v and "measures" in v for _, v in visits)
    )


def _last_day(data: Data) -> int | None:
    days = [v["day"] for _, v in _visits(data)]
    return max(days) if days else None


def _collected(data: Data, *, day: int | None = None, until: int | None = None) -> set[str]:
    """Measures collected by the visits (on ``day``, or on or before ``until``)."""
    found: set[str] = set()
    for _, visit in _visits(data):
        if day is not None and visit["day"] != day:
            continue
        if until is not None and visit["day"] > until:
            continue
        found.update(visit.get("measures", ()))
    return found


def check_duplicates(data: Data) -> Iterator[Problem]:
    """Names that must be unique in their list (PROTO-E010)."""
    named = [
        (("arms",), "name"),
        (("schedule", "visits"), "name"),
        (("eligibility", "exclusions"), "id"),
        (("endpoints", "secondary"), "name"),
        (("safety", "rules"), "id"),
    ]
    for path, field in named:
        prefix = ".".join(path)
        keyed = [
            (f"{prefix}[{i}].{field}", item[field])
            for i, item in _items(data, *path)
            if field in item
        ]
        yield from _repeats(keyed)
    lists: list[tuple[str, Any]] = [
        ("measures.mrc_muscles", _table(data, "measures").get("mrc_muscles")),
        ("randomization.strata", _table(data, "randomization").get("strata")),
        ("eligibility.efns_categories", _table(data, "eligibility").get("efns_categories")),
        ("safety.graded_labs", _table(data, "safety").get("graded_labs")),
        ("safety.lab_schedule.labs", _table(data, "safety", "lab_schedule").get("labs")),
    ]
    lists += [(f"schedule.visits[{i}].measures", v.get("measures")) for i, v in _visits(data)]
    for prefix, values in lists:
        if isinstance(values, list):
            yield from _repeats([(f"{prefix}[{i}]", value) for i, value in enumerate(values)])


def _repeats(keyed: list[tuple[str, Any]]) -> Iterator[Problem]:
    first: dict[Any, str] = {}
    for key, value in keyed:
        if value in first:
            yield Problem("PROTO-E010", key, value, f"a name not used before (as {first[value]})")
        else:
            first[value] = key


def check_visits(data: Data) -> Iterator[Problem]:
    """Visit days strictly increase (PROTO-E011)."""
    visits = _visits(data)
    for (i, before), (j, visit) in pairwise(visits):
        if visit["day"] <= before["day"]:
            yield Problem(
                "PROTO-E011",
                f"schedule.visits[{j}].day",
                visit["day"],
                f"a day after {before['day']} (schedule.visits[{i}].day): days strictly increase",
            )


def check_taper(data: Data) -> Iterator[Problem]:
    """The taper fits the schedule, its levels decrease, its floor is reachable."""
    taper = _table(data, "taper")
    last = _last_day(data)
    start = taper.get("start_day")
    if start is not None and last is not None and start >= last:
        yield Problem(
            "PROTO-E012", "taper.start_day", start, f"a day before the last visit ({last})"
        )
    levels = taper.get("levels_percent")
    decreasing = True
    if isinstance(levels, list):
        for i in range(1, len(levels)):
            if levels[i] >= levels[i - 1]:
                decreasing = False
                yield Problem(
                    "PROTO-E018",
                    f"taper.levels_percent[{i}]",
                    levels[i],
                    f"a level below {levels[i - 1]:g} (levels strictly decrease)",
                )
    first: float | None = None
    if "step_percent" in taper:
        first = 100.0 - taper["step_percent"]
    elif isinstance(levels, list) and levels and decreasing:
        first = levels[0]
    floor = taper.get("floor_percent")
    if first is not None and floor is not None and floor > first:
        yield Problem(
            "PROTO-E021",
            "taper.floor_percent",
            floor,
            f"a floor at or below the first taper step ({first:g}% of baseline)",
        )
    longest = taper.get("max_interval_days")
    shortest = _table(data, "eligibility").get("ivig_interval_days_min")
    if longest is not None and shortest is not None and longest <= shortest:
        yield Problem(
            "PROTO-E029",
            "taper.max_interval_days",
            longest,
            f"more than eligibility.ivig_interval_days_min ({shortest}), "
            "or no patient can take a step",
        )


def _criteria_problems(
    data: Data, given: frozenset[str], path: tuple[str, ...]
) -> Iterator[Problem]:
    prefix = ".".join(path)
    collected = _collected(data)
    start = _table(data, "taper").get("start_day")
    for i, criterion in _items(data, *path):
        measure = criterion.get("measure")
        if measure is None:
            continue
        key = f"{prefix}[{i}]"
        spec = MEASURES[measure]
        if _schedule_complete(data) and measure not in collected:
            shown = ", ".join(sorted(collected))
            yield Problem(
                "PROTO-E013",
                f"{key}.measure",
                measure,
                f"a measure that some visit collects ({shown})",
            )
        direction = criterion.get("direction")
        if direction is not None and direction != spec.worse.value:
            yield Problem(
                "PROTO-E014",
                f"{key}.direction",
                direction,
                f'"{spec.worse.value}", the direction in which {measure} gets worse',
            )
        side = criterion.get("side")
        if side is not None and not spec.bilateral:
            yield Problem(
                "PROTO-E015", f"{key}.side", side, f"no side: {measure} is not taken per side"
            )
        # An invalid side was reported by the reader: "missing" would report it twice.
        if side is None and spec.bilateral and f"{key}.side" not in given:
            yield Problem(
                "PROTO-E016",
                f"{key}.side",
                MISSING,
                f'"either" or "both": {measure} is taken on each side',
            )
        if (
            criterion.get("reference") == "pre_taper"
            and start is not None
            and _schedule_complete(data)
            and measure in collected
            and measure not in _collected(data, until=start)
        ):
            yield Problem(
                "PROTO-E028",
                f"{key}.reference",
                "pre_taper",
                f"a visit on or before taper.start_day ({start}) that collects {measure}, "
                'or reference = "best_on_study"',
            )


def check_criteria(data: Data, given: frozenset[str]) -> Iterator[Problem]:
    """Deterioration and rescue criteria fit their measures and the schedule.

    ``given`` holds the dotted keys present in the file, valid or not.
    """
    yield from _criteria_problems(data, given, ("deterioration", "criteria"))
    yield from _criteria_problems(data, given, ("taper", "rescue", "criteria"))


def check_arms(data: Data) -> Iterator[Problem]:
    """Each regimen starts on day 0 and its steps strictly increase in from_day."""
    for i, arm in _items(data, "arms"):
        steps = _items(arm, "regimen")
        if steps and steps[0][0] == 0 and steps[0][1].get("from_day", 0) != 0:
            yield Problem(
                "PROTO-E023",
                f"arms[{i}].regimen[0].from_day",
                steps[0][1]["from_day"],
                "0: the study drug starts at randomization",
            )
        days = [(j, step["from_day"]) for j, step in steps if "from_day" in step]
        for (_, before), (j, day) in pairwise(days):
            if day <= before:
                yield Problem(
                    "PROTO-E022",
                    f"arms[{i}].regimen[{j}].from_day",
                    day,
                    f"a day after {before}: regimen steps strictly increase in from_day",
                )


def check_endpoints(data: Data) -> Iterator[Problem]:
    """Endpoint days fall inside follow-up and their measures are collected."""
    primary = _table(data, "endpoints", "primary")
    day = primary.get("day")
    last = _last_day(data)
    if day is not None and last is not None and day > last:
        yield Problem(
            "PROTO-E025",
            "endpoints.primary.day",
            day,
            f"a day on or before the last visit ({last})",
        )
    start = _table(data, "taper").get("start_day")
    if day is not None and start is not None and day <= start:
        yield Problem(
            "PROTO-E030",
            "endpoints.primary.day",
            day,
            f"a day after taper.start_day ({start}): no reduction happens before the taper",
        )
    if not _schedule_complete(data):
        return
    for i, endpoint in _items(data, "endpoints", "secondary"):
        measure, at_day = endpoint.get("measure"), endpoint.get("at_day")
        if measure is None or at_day is None:
            continue
        if measure not in _collected(data, day=at_day):
            days = [v["day"] for _, v in _visits(data) if measure in v.get("measures", ())]
            yield Problem(
                "PROTO-E024",
                f"endpoints.secondary[{i}].at_day",
                at_day,
                f"the day of a visit that collects {measure} (days {days})",
            )
        if measure not in _collected(data, day=0):
            yield Problem(
                "PROTO-E024",
                f"endpoints.secondary[{i}].measure",
                measure,
                "a measure collected at a day-0 visit (the change is from day 0)",
            )


def check_eligibility(data: Data) -> Iterator[Problem]:
    """Each minimum is at most its maximum (PROTO-E026)."""
    eligibility = _table(data, "eligibility")
    for low, high in (
        ("age_min_years", "age_max_years"),
        ("ivig_interval_days_min", "ivig_interval_days_max"),
    ):
        if low in eligibility and high in eligibility and eligibility[low] > eligibility[high]:
            yield Problem(
                "PROTO-E026",
                f"eligibility.{low}",
                eligibility[low],
                f"at most eligibility.{high} ({eligibility[high]})",
            )


def check_randomization(data: Data) -> Iterator[Problem]:
    """Every block holds whole multiples of the allocation ratio (PROTO-E027)."""
    arms = _items(data, "arms")
    sizes = _table(data, "randomization").get("block_sizes")
    raw_arms = data.get("arms")
    complete = isinstance(raw_arms, list) and len(arms) == len(raw_arms)
    if not complete or not isinstance(sizes, list) or not all("ratio" in a for _, a in arms):
        return
    total = sum(arm["ratio"] for _, arm in arms)
    ratios = ":".join(str(arm["ratio"]) for _, arm in arms)
    for i, size in enumerate(sizes):
        if total and size % total:
            yield Problem(
                "PROTO-E027",
                f"randomization.block_sizes[{i}]",
                size,
                f"a multiple of {total}, the sum of the arm ratios ({ratios})",
            )


def check_sources(data: Data) -> Iterator[Problem]:
    """Every source tag is in the reference list shipped with the package (PROTO-E009).

    The reader has already dropped a list with a tag in the wrong format.
    """
    known = references()
    tags = _table(data, "protocol").get("sources")
    keyed = [
        (f"protocol.sources[{i}]", tag)
        for i, tag in enumerate(tags if isinstance(tags, list) else [])
    ]
    keyed += [
        (f"safety.rules[{i}].source", rule["source"])
        for i, rule in _items(data, "safety", "rules")
        if "source" in rule
    ]
    for where, tag in keyed:
        if tag not in known:
            yield Problem(
                "PROTO-E009",
                where,
                tag,
                f"a source tag listed in docs/sources.md ({', '.join(known)})",
            )


def check_safety(data: Data) -> Iterator[Problem]:
    """The lab schedule's phases follow each other up to its last day (PROTO-E031); a
    rule on a lab's grade names graded labs only (PROTO-E032)."""
    schedule = _table(data, "safety", "lab_schedule")
    phases = [
        (i, p) for i, p in _items(data, "safety", "lab_schedule", "phases") if "from_day" in p
    ]
    where = "safety.lab_schedule.phases"
    for (i, before), (j, phase) in pairwise(phases):
        if phase["from_day"] <= before["from_day"]:
            yield Problem(
                "PROTO-E031",
                f"{where}[{j}].from_day",
                phase["from_day"],
                f"a day after {before['from_day']} ({where}[{i}].from_day): phases follow "
                "each other",
            )
    if phases and "until_day" in schedule and schedule["until_day"] < phases[-1][1]["from_day"]:
        last, phase = phases[-1]
        yield Problem(
            "PROTO-E031",
            "safety.lab_schedule.until_day",
            schedule["until_day"],
            f"a day on or after the last phase's start ({where}[{last}].from_day = "
            f"{phase['from_day']})",
        )
    graded = _table(data, "safety").get("graded_labs")
    if not isinstance(graded, list):  # invalid: reported already, judge nothing against it
        return
    for i, rule in _items(data, "safety", "rules"):
        for j, lab in enumerate(rule.get("labs", ())):
            if lab not in graded:
                yield Problem(
                    "PROTO-E032",
                    f"safety.rules[{i}].labs[{j}]",
                    lab,
                    f"a lab of safety.graded_labs ({', '.join(graded) or 'none'})",
                )


def check(data: Data, given: frozenset[str] = frozenset()) -> list[Problem]:
    """Every contradiction in ``data`` (the reader's output), in a stable order.

    ``given`` holds the dotted keys present in the file, valid or not (see
    :func:`mmntrial.protocol.reader.read`); a key given but invalid is never also
    reported as missing.
    """
    return [
        *check_duplicates(data),
        *check_visits(data),
        *check_taper(data),
        *check_criteria(data, given),
        *check_arms(data),
        *check_endpoints(data),
        *check_eligibility(data),
        *check_randomization(data),
        *check_sources(data),
        *check_safety(data),
    ]


__all__ = ["check"]
