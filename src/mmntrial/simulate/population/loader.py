"""Load a virtual population: a built-in name or a TOML file, validated, as a Population.

A population file gives every parameter as ``{ value = ..., source = "..." }``, the
source being a DOMAIN.md tag (``S44``) or ``ASSUMPTION: why``. Loading reuses the
protocol's reader (:func:`mmntrial.protocol.reader.read`) on a schema generated from
:mod:`mmntrial.simulate.population.model`, so that every problem of a file is reported
at once, each with a stable code (:data:`CODES`), the dotted key, the value received
and what was expected.

>>> population = load_population("mmn-default")
>>> population.trial.n_per_arm, population.pk.CL_L_per_day
(14, 0.308)
>>> load_population("mmn-nonsense")
Traceback (most recent call last):
...
mmntrial.simulate.population.loader.PopulationError: population mmn-nonsense: 1 problem
  POP-E001 population: got 'mmn-nonsense', expected a built-in population (...) or a path ...
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import replace
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Final

from mmntrial.errors import Problem, SimulationError
from mmntrial.inputs import MAX_TOML_BYTES, limit_text, read_bounded
from mmntrial.protocol.model import SAFETY_LABS
from mmntrial.protocol.reader import Data, read
from mmntrial.protocol.spec import Spec, listing, name, table, text
from mmntrial.simulate.pk.parameters import PkPopulation
from mmntrial.simulate.population._params import pk_spec, section_spec, sources_of, values_of
from mmntrial.simulate.population.model import SECTIONS, Population

CODES: Final[dict[str, str]] = {
    "POP-E001": "unknown population name: neither a built-in population nor a file path",
    "POP-E002": "the file is not valid TOML",
    "POP-E003": "the file cannot be read (missing, a directory, not UTF-8)",
    "POP-E004": "unknown key",
    "POP-E005": "required key missing",
    "POP-E006": "wrong type (a boolean is not a number, a float is not an integer)",
    "POP-E007": "value out of range",
    "POP-E008": "value not one of the allowed values",
    "POP-E009": "text not in the required format (names, sources), or empty",
    "POP-E017": "a list with too few items",
    "POP-E040": "the remission and over-treated fractions add up to more than 1",
    "POP-E041": "a minimum above its maximum",
    "POP-E042": "interval choices and their weights differ in length, or weigh nothing",
    "POP-E043": "a lab's lower limit of normal at or above its upper limit",
}


class PopulationError(SimulationError):
    """A population file that cannot be loaded or is invalid; lists every problem."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        noun = "problem" if len(self.problems) == 1 else "problems"
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"population {source}: {len(self.problems)} {noun}\n{lines}")


_SUFFIX = ".toml"

ROOT: Final[Spec] = table(
    "the whole population file",
    {
        "population": table(
            "what the population is",
            {
                "name": name("short name, used on the command line"),
                "title": text(
                    "one-line title", pattern=r".*\S.*", pattern_text="a non-empty title"
                ),
                "description": text("free text", required=False, default=""),
                "sources": listing(
                    "DOMAIN.md source tags the values come from",
                    text("a source tag", pattern=r"S[0-9]+", pattern_text="a tag such as 'S1'"),
                    required=False,
                    default=[],
                ),
            },
        ),
        "pk": pk_spec(),
        **{key: section_spec(meaning, cls) for key, (cls, meaning) in SECTIONS.items()},
    },
)


def _builtin_folder() -> Traversable:
    return resources.files("mmntrial.simulate.population").joinpath("builtin")


def population_names() -> list[str]:
    """The names of the populations shipped inside the package, sorted.

    >>> population_names()[0]
    'mmn-default'
    """
    return sorted(
        entry.name.removesuffix(_SUFFIX)
        for entry in _builtin_folder().iterdir()
        if entry.name.endswith(_SUFFIX) and entry.is_file()
    )


def load_population(name_or_path: str | Path) -> Population:
    """A validated Population from a built-in name or a path to a TOML file.

    A name with no slash and no ``.toml`` suffix is looked up among the built-ins.
    Raises :class:`PopulationError` (a SimulationError) listing every problem.

    >>> load_population("mmn-default").origin
    'builtin:mmn-default'
    """
    text_name = str(name_or_path)
    if isinstance(name_or_path, str) and not (text_name.endswith(_SUFFIX) or "/" in text_name):
        if text_name in population_names():
            content = _builtin_folder().joinpath(text_name + _SUFFIX).read_bytes()
            return _from_bytes(content, text_name, f"builtin:{text_name}")
        shown = ", ".join(population_names())
        expected = f"a built-in population ({shown}) or a path to a .toml file"
        raise PopulationError(text_name, [Problem("POP-E001", "population", text_name, expected)])
    path = Path(name_or_path)
    try:
        bounded = read_bounded(path, MAX_TOML_BYTES)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        problem = Problem("POP-E003", "file", str(path), f"a readable TOML file ({reason})")
        raise PopulationError(str(path), [problem]) from None
    if bounded is None:
        problem = Problem("POP-E003", "file", str(path), limit_text(MAX_TOML_BYTES))
        raise PopulationError(str(path), [problem])
    return _from_bytes(bounded, str(path), str(path))


def _from_bytes(content: bytes, source: str, origin: str) -> Population:
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except UnicodeDecodeError as error:
        problem = Problem("POP-E003", "file", source, f"a UTF-8 text file ({error.reason})")
        raise PopulationError(source, [problem]) from None
    except tomllib.TOMLDecodeError as error:
        problem = Problem("POP-E002", "file", str(error), "valid TOML (https://toml.io)")
        raise PopulationError(source, [problem]) from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        problem = Problem("POP-E002", "file", source, "TOML nested a few levels deep")
        raise PopulationError(source, [problem]) from None
    return replace(parse_population(data, source), origin=origin)


def parse_population(data: Mapping[str, Any], source: str) -> Population:
    """A validated Population from parsed TOML data; raises PopulationError otherwise.

    >>> import tomllib
    >>> from importlib import resources
    >>> raw = resources.files("mmntrial.simulate.population").joinpath("builtin/mmn-default.toml")
    >>> data = tomllib.loads(raw.read_text(encoding="utf-8"))
    >>> data["covariates"]["male_fraction"]["value"] = 1.7
    >>> del data["noise"]["mrc_sum_sd"]["source"]
    >>> parse_population(data, "edited")
    Traceback (most recent call last):
    ...
    mmntrial.simulate.population.loader.PopulationError: population edited: 2 problems
      POP-E007 covariates.male_fraction.value: got 1.7, expected a number >= 0 and <= 1
      POP-E005 noise.mrc_sum_sd.source: got nothing, expected string: ... (required)
    """
    checked, raw_problems, _given = read(data, ROOT)
    problems = [_renamed(p) for p in raw_problems]
    problems += _contradictions(checked)
    if problems:
        raise PopulationError(source, problems)
    return _build(checked)


def _renamed(problem: Problem) -> Problem:
    """The reader speaks in PROTO codes; a population file's problems carry POP codes."""
    code = problem.code.replace("PROTO-", "POP-")
    return Problem(code, problem.key, problem.received, problem.expected)


def _value(checked: Data, section: str, key: str) -> Any:
    """The checked value of one parameter, or None when it was missing or invalid."""
    item = checked.get(section, {}).get(key)
    return None if item is None else item.get("value")


def _contradictions(checked: Data) -> list[Problem]:
    problems: list[Problem] = []
    remission = _value(checked, "need", "remission_fraction")
    over = _value(checked, "need", "overtreated_fraction")
    if remission is not None and over is not None and remission + over > 1.0:
        problems.append(
            Problem(
                "POP-E040",
                "need.overtreated_fraction.value",
                over,
                f"at most 1 - need.remission_fraction = {1.0 - remission:g}",
            )
        )
    low = _value(checked, "need", "overtreated_need_min")
    high = _value(checked, "need", "overtreated_need_max")
    if low is not None and high is not None and low > high:
        problems.append(
            Problem(
                "POP-E041",
                "need.overtreated_need_min.value",
                low,
                f"at most need.overtreated_need_max ({high:g})",
            )
        )
    for kind in ("neutrophils", "other_wbc"):
        least = _value(checked, "labs", f"leukopenia_{kind}_min")
        most = _value(checked, "labs", f"leukopenia_{kind}_max")
        if least is not None and most is not None and least > most:
            problems.append(
                Problem(
                    "POP-E041",
                    f"labs.leukopenia_{kind}_min.value",
                    least,
                    f"at most labs.leukopenia_{kind}_max ({most:g})",
                )
            )
    for lab in SAFETY_LABS:
        lln, uln = _value(checked, "labs", f"{lab}_lln"), _value(checked, "labs", f"{lab}_uln")
        if lln is not None and uln is not None and lln >= uln:
            problems.append(
                Problem("POP-E043", f"labs.{lab}_lln.value", lln, f"below labs.{lab}_uln ({uln:g})")
            )
    choices = _value(checked, "regimen", "interval_days_choices")
    weights = _value(checked, "regimen", "interval_weights")
    if (choices is not None and weights is not None) and (
        len(choices) != len(weights) or sum(weights) <= 0.0
    ):
        problems.append(
            Problem(
                "POP-E042",
                "regimen.interval_weights.value",
                weights,
                f"{len(choices)} weights >= 0, one per interval choice, not all 0",
            )
        )
    return problems


def _build(checked: Data) -> Population:
    head = checked["population"]
    sections = {key: cls(**values_of(checked[key], cls)) for key, (cls, _) in SECTIONS.items()}
    pk = PkPopulation(**{key: item["value"] for key, item in checked["pk"].items()})
    sources = sources_of(checked["pk"], "pk")
    for key in SECTIONS:
        sources.update(sources_of(checked[key], key))
    return Population(
        name=head["name"],
        title=head["title"],
        description=head["description"],
        pk=pk,
        sources=sources,
        **sections,
    )


__all__ = [
    "CODES",
    "Population",
    "PopulationError",
    "load_population",
    "parse_population",
    "population_names",
]
