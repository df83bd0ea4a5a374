"""``mmntrial reproduce FILE``: re-run the computation a result file records, check equality.

FILE is what ``simulate --json`` printed (saved to a file), a ``simulate --out`` Parquet
file, a sweep folder (or its ``sweep.csv`` or ``provenance.json``), what ``size
--json`` printed, a dataset folder of ``simulate --dataset`` (or its ``dataset.json``;
compared by the content hash of each table), or a design report folder (or its
``provenance.json``; the numbers the report shows are compared). The record's protocol
and population are loaded again and their content hashes checked before anything runs
(:mod:`mmntrial.simulate.reproduce`); then the same computation runs in this process
and every recorded number is compared.
Exit 0 with "reproduced", or exit 2 naming what differs.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import typer
from rich.console import Console

import mmntrial
from mmntrial.errors import NotReproduced
from mmntrial.inputs import limit_text, read_bounded
from mmntrial.report.sweep_figures import SWEEP_TABLE
from mmntrial.simulate.provenance import PARQUET_KEY, SIDECAR
from mmntrial.simulate.reproduce import (
    checked_record,
    differences,
    frame_differences,
    raise_if_different,
    recorded_inputs,
    recorded_plan,
)

if TYPE_CHECKING:
    from mmntrial.protocol.model import Protocol
    from mmntrial.simulate.population import Population
    from mmntrial.simulate.sweep import SweepResult

MAX_RESULT_BYTES = 256 * 1024 * 1024
"""The largest result file read: 256 MiB, as for a dataset table."""


def _read(path: Path) -> bytes:
    try:
        content = read_bounded(path, MAX_RESULT_BYTES)
    except OSError as error:
        raise NotReproduced(
            f"FILE: got {str(path)!r}, cannot be read ({error.strerror or error}); expected "
            "a result of mmntrial simulate, sweep or size"
        ) from None
    if content is None:
        raise NotReproduced(f"FILE: got {str(path)!r}, expected {limit_text(MAX_RESULT_BYTES)}")
    return content


def _json(path: Path) -> Any:
    try:
        return json.loads(_read(path).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise NotReproduced(
            f"FILE: got {str(path)!r}, not JSON ({error}); expected the JSON that mmntrial "
            "simulate --json or size --json printed"
        ) from None


def _rerun(record: dict[str, Any], protocol: Protocol, population: Population) -> SweepResult:
    """Run a recorded simulation or sweep again in this process, with a progress bar."""
    from mmntrial.cli.simulate import progress_bar
    from mmntrial.simulate.sweep import run_sweep

    plan = recorded_plan(record, protocol, population)
    with progress_bar(plan.trials * len(plan.points), "re-running", True) as tick:
        return run_sweep(plan, progress=tick)


def _reproduce_json(path: Path) -> tuple[str, dict[str, Any]]:
    data = _json(path)
    if not isinstance(data, dict) or "provenance" not in data:
        raise NotReproduced(
            f"{path}: provenance: got nothing, expected the record that mmntrial simulate "
            "--json or size --json prints (a file from before mmntrial recorded it?)"
        )
    record = checked_record(data.pop("provenance"), str(path), ("simulate", "size"))
    protocol, population = recorded_inputs(record, str(path))
    if record["kind"] == "size":
        from mmntrial.cli.size import answer_json
        from mmntrial.simulate.size import SizeQuestion, find_sample_size

        try:
            question = SizeQuestion(**record["question"])
        except TypeError as error:
            raise NotReproduced(
                f"{path}: provenance.question: got {record['question']!r}, expected the "
                f"fields of mmntrial size's question ({error})"
            ) from None
        question.check()
        answer = find_sample_size(protocol, population, question)
        given = data.get("population", population.name)
        rerun = answer_json(answer, protocol, population, given)
        rerun.pop("provenance")
        # The version is compared apart (raise_if_different names both).
        data.pop("version", None)
        rerun.pop("version")
    else:
        rerun = _rerun(record, protocol, population).rows()[0]
    # Through JSON, as the recorded file went: numpy numbers become Python's.
    rerun = json.loads(json.dumps(rerun, default=float))
    raise_if_different(differences(data, rerun), str(path), record)
    return f"{record['kind']} of {protocol.name}", record


def _reproduce_parquet(path: Path) -> tuple[str, dict[str, Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    content = io.BytesIO(_read(path))
    try:
        table = pq.read_table(content)
    except (OSError, ValueError, pa.ArrowException) as error:
        raise NotReproduced(f"{path}: not readable Parquet ({error})") from None
    raw = (table.schema.metadata or {}).get(PARQUET_KEY)
    if raw is None:
        raise NotReproduced(
            f"{path}: metadata {PARQUET_KEY.decode()}: got nothing, expected the record that "
            "mmntrial simulate --out writes"
        )
    try:
        record = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotReproduced(
            f"{path}: metadata {PARQUET_KEY.decode()}: not JSON ({error})"
        ) from None
    record = checked_record(record, str(path), ("simulate",))
    protocol, population = recorded_inputs(record, str(path))
    per_trial = _rerun(record, protocol, population).per_trial
    rerun = pa.Table.from_pandas(per_trial.drop(columns=["point"]), preserve_index=False)
    lines, total = frame_differences(table.to_pandas(), rerun.to_pandas(), "trial")
    raise_if_different(lines, str(path), record, total)
    return f"{record['trials']:,} trials of {protocol.name}", record


def _reproduce_sweep(folder: Path) -> tuple[str, dict[str, Any]]:
    record = checked_record(_json(folder / SIDECAR), str(folder / SIDECAR), ("sweep",))
    table_path = folder / SWEEP_TABLE
    try:
        recorded = pd.read_csv(io.BytesIO(_read(table_path)))
    except (ValueError, pd.errors.ParserError) as error:
        raise NotReproduced(f"{table_path}: not a readable table ({error})") from None
    protocol, population = recorded_inputs(record, str(folder / SIDECAR))
    frame = _rerun(record, protocol, population).to_frame()
    # CSV keeps a float's shortest round-trip text; reading it may miss the last bit,
    # which the comparison's tolerance forgives.
    lines, total = frame_differences(recorded, frame, "point")
    raise_if_different(lines, str(table_path), record, total)
    return f"{len(frame)} designs of {protocol.name}", record


def _reproduce_dataset(folder: Path) -> tuple[str, dict[str, Any]]:
    """Simulate the recorded trial again and compare its tables with the folder's by
    their content hash (:func:`mmntrial.report.reproduce.tables_hash`), table by table."""
    from mmntrial.dataset.io import META_FILE, read_dataset
    from mmntrial.dataset.schema import TABLE_NAMES
    from mmntrial.report.reproduce import dataset_hash, tables_hash
    from mmntrial.simulate.trials.one_trial import simulate_trial

    where = str(folder / META_FILE)
    meta = _json(folder / META_FILE)
    if not isinstance(meta, dict) or meta.get("provenance") is None:
        raise NotReproduced(
            f"{where}: provenance: got nothing, expected the record that mmntrial simulate "
            "--dataset writes (a captured dataset, or one simulated before it was recorded?)"
        )
    record = checked_record(meta["provenance"], where, ("dataset",))
    protocol, population = recorded_inputs(record, where)
    recorded = read_dataset(folder, protocol)
    rerun = simulate_trial(
        protocol,
        population,
        effect=record["effect"],
        seed=record["seed"],
        n_per_arm=record["n_per_arm"],
        trial_index=record["trial"],
    ).dataset
    lines = []
    for name in TABLE_NAMES:  # schema order: the first line names the first table
        old, new = tables_hash({name: recorded.table(name)}), tables_hash({name: rerun.table(name)})
        if old != new:
            lines.append(
                f"table {name}: content hash (sha256) recorded {old}, re-run {new} "
                f"({len(recorded.table(name))} rows recorded, {len(rerun.table(name))} re-run)"
            )
    raise_if_different(lines, str(folder), record)
    what = f"trial {record['trial']} of {protocol.name}, dataset hash {dataset_hash(recorded)}"
    return what, record


def _reproduce_design(folder: Path) -> tuple[str, dict[str, Any]]:
    """Run the recorded design study again and compare every number the report shows."""
    from mmntrial.report.design_study import run_design_study, study_numbers
    from mmntrial.simulate.size import SizeQuestion

    where = str(folder / SIDECAR)
    record = checked_record(_json(folder / SIDECAR), where, ("design-report",))
    protocol, population = recorded_inputs(record, where)
    try:
        question = SizeQuestion(**record["question"])
    except TypeError as error:
        raise NotReproduced(
            f"{where}: provenance.question: got {record['question']!r}, expected the "
            f"fields of mmntrial size's question ({error})"
        ) from None
    question.check()
    with Console(stderr=True).status("Re-running the design study..."):
        study = run_design_study(
            protocol,
            population,
            population_name=record["population"]["name"],
            effects=record["effects"],
            trials=record["trials"],
            seed=record["seed"],
            n_per_arm=record["n_per_arm"],
            size_question=question,
        )
    # Through JSON, as the recorded file went: numpy numbers become Python's.
    rerun = json.loads(json.dumps(study_numbers(study), default=float))
    raise_if_different(differences(record["numbers"], rerun), where, record)
    return f"design report of {protocol.name}", record


def _recorded_kind(folder: Path) -> str:
    """What a result folder holds: a dataset (``dataset.json``), else the kind its
    ``provenance.json`` records (a sweep or a design report)."""
    from mmntrial.dataset.io import META_FILE

    if (folder / META_FILE).is_file():
        return "dataset"
    if not (folder / SIDECAR).is_file():
        return "sweep"  # reproducing it names the missing provenance.json
    record = _json(folder / SIDECAR)
    kind = record.get("kind") if isinstance(record, dict) else None
    return kind if isinstance(kind, str) else "sweep"


def reproduce(
    file: Path = typer.Argument(
        ...,
        help="A result: simulate/size --json output, simulate --out Parquet, a sweep folder, "
        "a simulated dataset folder, a design report folder.",
    ),
) -> None:
    """Re-run what a result file records and check that every number is the same."""
    from mmntrial.dataset.io import META_FILE

    folder = file if file.is_dir() else file.parent
    kind = _recorded_kind(folder) if file.is_dir() or file.name == SIDECAR else None
    if file.name == META_FILE or kind == "dataset":
        what, record = _reproduce_dataset(folder)
    elif kind == "design-report":
        what, record = _reproduce_design(folder)
    elif kind is not None or file.name == SWEEP_TABLE:
        what, record = _reproduce_sweep(folder)
    elif file.suffix == ".parquet":
        what, record = _reproduce_parquet(file)
    elif file.suffix == ".json":
        what, record = _reproduce_json(file)
    else:
        raise NotReproduced(
            f"FILE: got {str(file)!r}, expected a .json file (simulate --json, size --json), "
            "a .parquet file (simulate --out), a sweep folder, a simulated dataset folder or "
            "a design report folder"
        )
    then = record.get("software", {}).get("version")
    # The same numbers from another version are worth knowing, not a failure.
    version = "" if then == mmntrial.__version__ else f", made with mmntrial {then}"
    typer.echo(f"reproduced: {what} ({file}{version})")


__all__ = ["reproduce"]
