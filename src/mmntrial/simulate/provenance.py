"""How a result file was made: its provenance record, and the content hashes in it.

Every result of a simulation (``simulate --json``, ``simulate --out`` Parquet metadata,
a sweep's ``provenance.json`` beside ``sweep.csv`` and each line of ``sweep --json``,
``size --json``, a simulated dataset's ``dataset.json``, a design report's
``provenance.json`` and its HTML) carries one record
(a JSON object) naming the protocol and the population with a content hash of each, the
seed, the trials, the patients per arm, the drug effect, the chunk size, the grid or the
question, and the software version; :mod:`mmntrial.simulate.reproduce` re-runs it.

The hashes are of the content **as parsed**, not of the file's bytes: SHA-256 of the
canonical JSON (keys sorted, no spaces, UTF-8, a whole-number float written as an
integer) of the validated protocol (:func:`mmntrial.protocol.serialize.protocol_to_dict`,
with every default filled in) or population (every field that makes two populations
equal; the source tags and where it was loaded from are left out). So comments, blank
lines, key order, ``25`` or ``25.0``, and a default written out or left implicit do not
change the hash; any value that the simulation reads does. A new version of mmntrial
that adds a protocol key changes the hash of an unchanged file, which is why the version
is recorded beside it.

>>> from mmntrial.protocol.loader import load_protocol
>>> len(protocol_hash(load_protocol("piepers-2007")))
64
>>> canonical_json({"b": 25.0, "a": [1.5, True]})
'{"a":[1.5,true],"b":25}'
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import mmntrial
from mmntrial.protocol.model import Protocol
from mmntrial.protocol.serialize import protocol_to_dict
from mmntrial.simulate.population.loader import Population

if TYPE_CHECKING:
    # Only a type here: the trial simulator imports this module to stamp its datasets,
    # and the sweep imports the trial simulator.
    from mmntrial.simulate.sweep.run import SweepPlan

FORMAT: Final = 1
"""The version of the record's layout; a reader refuses a layout it does not know."""

PARQUET_KEY: Final = b"mmntrial.provenance"
"""The key of the record in a Parquet file's metadata (the value is the record as JSON)."""

SIDECAR: Final = "provenance.json"
"""The record of a sweep, beside ``sweep.csv`` (which stays a plain table)."""

KINDS: Final = ("simulate", "sweep", "size", "dataset", "design-report")
"""What a record can describe: one design, a grid of designs, a sample-size search, one
simulated trial's dataset (in its ``dataset.json``), a design report."""


def _canonical(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 25 and 25.0 are the same setting in a TOML file
    if isinstance(value, Mapping):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    return value


def canonical_json(data: Any) -> str:
    """``data`` as the one JSON text that is hashed (see the module docstring)."""
    return json.dumps(_canonical(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(data: Any) -> str:
    """SHA-256 (hex) of :func:`canonical_json` of ``data``."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def protocol_hash(protocol: Protocol) -> str:
    """The content hash of a protocol as parsed (where it came from is not content)."""
    return content_hash(protocol_to_dict(protocol))


def population_hash(population: Population) -> str:
    """The content hash of a population as parsed: the fields that make two equal."""
    content = {
        spec.name: _plain(getattr(population, spec.name))
        for spec in dataclasses.fields(population)
        if spec.compare
    }
    return content_hash(content)


def _plain(value: object) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


def _source(origin: str) -> str:
    """Where to load an input again: ``builtin:NAME``, or a file as an absolute path."""
    if origin.startswith("builtin:") or not origin:
        return origin
    return str(Path(origin).resolve())


def inputs_record(protocol: Protocol, population: Population) -> dict[str, Any]:
    """The protocol and population parts of a record: name, source and hash of each."""
    return {
        "protocol": {
            "name": protocol.name,
            "source": _source(protocol.origin),
            "sha256": protocol_hash(protocol),
        },
        "population": {
            "name": population.name,
            "source": _source(population.origin),
            "sha256": population_hash(population),
        },
    }


def _base(kind: str, protocol: Protocol, population: Population) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "kind": kind,
        "software": {"name": "mmntrial", "version": mmntrial.__version__},
        **inputs_record(protocol, population),
    }


def plan_record(plan: SweepPlan, kind: str) -> dict[str, Any]:
    """The record of a simulation (``kind`` ``simulate``: one design) or a sweep.

    ``n_per_arm`` and ``effect`` are the values every design had, or ``None`` where the
    grid varies them (its values are in ``grid``); ``n_per_arm`` is resolved from the
    population when the run left it to the population.
    """
    axes = plan.axes
    n_per_arm = None if "n_per_arm" in axes else plan.population.trial.n_per_arm
    if "n_per_arm" in axes and len(axes["n_per_arm"]) == 1:
        n_per_arm = axes["n_per_arm"][0]
    effect = None
    if len(axes.get("effect", (0.0,))) == 1:
        effect = float(axes.get("effect", (0.0,))[0])
    return {
        **_base(kind, plan.protocol, plan.population),
        "seed": plan.seed,
        "trials": plan.trials,
        "n_per_arm": n_per_arm,
        "effect": effect,
        "chunk_trials": plan.chunk_trials,
        "grid": {name: list(values) for name, values in axes.items()},
    }


def size_record(
    protocol: Protocol,
    population: Population,
    question: Mapping[str, Any],
    *,
    trials: int,
    n_per_arm: int | None,
) -> dict[str, Any]:
    """The record of a sample-size search: its question (effect and seed among it), the
    trials behind the answer and the answer's n per arm (``None``: not reached)."""
    return {
        **_base("size", protocol, population),
        "seed": question["seed"],
        "trials": trials,
        "n_per_arm": n_per_arm,
        "effect": question["effect"],
        "question": dict(question),
    }


def dataset_record(
    protocol: Protocol,
    population: Population,
    *,
    seed: int,
    trial: int,
    n_per_arm: int,
    effect: float,
) -> dict[str, Any]:
    """The record of one simulated trial's dataset: trial ``trial`` of the run with
    ``seed`` (:func:`mmntrial.simulate.trials.one_trial.simulate_trial`)."""
    return {
        **_base("dataset", protocol, population),
        "seed": seed,
        "trial": trial,
        "n_per_arm": n_per_arm,
        "effect": float(effect),
    }


def design_record(
    protocol: Protocol,
    population: Population,
    *,
    seed: int,
    trials: int,
    n_per_arm: int,
    effects: list[float],
    question: Mapping[str, Any],
    numbers: Mapping[str, Any],
) -> dict[str, Any]:
    """The record of a design report: what was simulated (``effects`` at ``n_per_arm``,
    ``trials`` each, and the size search's ``question``) and the ``numbers`` it shows."""
    return {
        **_base("design-report", protocol, population),
        "seed": seed,
        "trials": trials,
        "n_per_arm": n_per_arm,
        "effect": None if len(effects) != 1 else float(effects[0]),
        "effects": [float(effect) for effect in effects],
        "question": dict(question),
        "numbers": dict(numbers),
    }


__all__ = [
    "FORMAT",
    "KINDS",
    "PARQUET_KEY",
    "SIDECAR",
    "canonical_json",
    "content_hash",
    "dataset_record",
    "design_record",
    "inputs_record",
    "plan_record",
    "population_hash",
    "protocol_hash",
    "size_record",
]
