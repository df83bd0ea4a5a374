"""The study as a dataset: load a simulated trial, export it, analyse both.

The round trip is judged by the analysis: a small seeded simulated trial is loaded
through the capture app's write functions, exported, and the planned analysis of the
export must give the results of the simulated dataset as far as the app records it
(:func:`recordable`: what has no place in the app yet is taken out of the simulated
dataset the same way the export leaves it out).
"""

from __future__ import annotations

import ast
import json
import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from mmntrial.analysis.plan import run_plan
from mmntrial.capture import allocation, audit, dsmb_web
from mmntrial.capture.dataset_export import export_study
from mmntrial.capture.dataset_load import LOADER, Loaded, load_dataset
from mmntrial.capture.permissions import PERMISSIONS, Role
from mmntrial.dataset.schema import Dataset
from mmntrial.errors import CaptureError
from mmntrial.protocol.loader import load_protocol
from mmntrial.protocol.model import Protocol
from mmntrial.randomization.listfile import save
from mmntrial.randomization.slots import slots_of
from mmntrial.safety.grading import grade
from mmntrial.safety.tables import ctcae_v5
from mmntrial.simulate.population import load_population
from mmntrial.simulate.provenance import protocol_hash
from mmntrial.simulate.trials.one_trial import simulate_one_trial
from mmntrial.storage import Database
from tests.capture.conftest import PASSWORD, WHO
from tests.capture.trial_setup import enrol_eligible, study_list
from tests.cli.running import run_main
from tests.storage.postgres import raw

TODAY = date(2026, 12, 1)
CAPTURE = Path(__file__).resolve().parents[2] / "src" / "mmntrial" / "capture"


@pytest.fixture(scope="module")
def piepers() -> Protocol:
    return load_protocol("piepers-2007")


@pytest.fixture(scope="module")
def simulated(piepers: Protocol) -> Dataset:
    return simulate_one_trial(
        piepers, load_population("mmn-default"), effect=0.5, seed=14, n_per_arm=4
    )


@pytest.fixture
def loaded(tmp_path: Path, simulated: Dataset, piepers: Protocol) -> tuple[Path, Loaded]:
    path = tmp_path / "study.db"
    with Database.open(path) as database:
        made = load_dataset(database, simulated, piepers, "admin", PASSWORD, TODAY)
    return path, made


def recordable(dataset: Dataset, protocol: Protocol, subjects: dict[str, str]) -> Dataset:
    """``dataset`` as far as the capture app records it, with the app's subject ids.

    What the app cannot record (docs/capture.md): screening outcomes other than
    randomized and coded exclusions and unscheduled visits; adverse events get the app's
    numbers, and
    the labs CTCAE grades by fixed edges the app's computed grade.
    """
    codes = {item.id for item in protocol.eligibility.exclusions}
    scheduled = [v.name for v in protocol.schedule.visits]
    screening = dataset.screening[
        (dataset.screening["outcome"] == "randomized")
        | dataset.screening["reason"].isin([f"exclusion: {c}" for c in codes])
    ]
    assessments = dataset.assessments[dataset.assessments["visit"].isin([*scheduled, "repeat"])]
    events = dataset.adverse_events
    labs_rows = zip(dataset.labs["test"], dataset.labs["value"], dataset.labs["grade"], strict=True)
    numbered = events.groupby("subject_id").cumcount() + 1
    frames = {
        "screening": screening.assign(subject_id=screening["subject_id"].map(subjects)),
        "subjects": dataset.subjects,
        "infusions": dataset.infusions,
        "assessments": assessments,
        "adverse_events": events.assign(ae_id=[f"AE-{n:03d}" for n in numbered]),
        "labs": dataset.labs.assign(grade=[_graded(t, v, g) for t, v, g in labs_rows]),
        "conmeds": dataset.conmeds,
        "dispositions": dataset.dispositions,
        "deteriorations": dataset.deteriorations,
    }
    renamed = {
        name: frame.assign(subject_id=frame["subject_id"].map(subjects))
        if name != "screening"
        else frame
        for name, frame in frames.items()
    }
    return Dataset.from_frames(dataset.meta, renamed, protocol)


def _graded(test: str, value: float, graded: object) -> object:
    # The app computes the CTCAE grade of the tests it grades by fixed edges (0: normal).
    return (grade(test, value) or 0) if test in ctcae_v5().labs else graded


def _by_subject(frame: pd.DataFrame) -> pd.DataFrame:
    keys = [
        c
        for c in (
            "subject_id",
            "day",
            "day_confirmed",
            "measure",
            "side",
            "test",
            "ae_id",
            "medication",
        )
        if c in frame.columns
    ]
    return frame.sort_values(keys).reset_index(drop=True)


def test_the_round_trip_gives_the_simulated_trials_results(
    loaded: tuple[Path, Loaded], simulated: Dataset, piepers: Protocol
) -> None:
    path, made = loaded
    with Database.open(path) as database:
        exported, _ = export_study(database, made.key, "data manager")
        with database.read() as conn:
            audit.check(conn)
    expected = recordable(simulated, piepers, dict(made.subjects))
    # The data themselves, subject by subject (kit codes are the study list's own).
    for name in (
        "subjects",
        "infusions",
        "assessments",
        "adverse_events",
        "labs",
        "conmeds",
        "dispositions",
        "deteriorations",
    ):
        got, want = _by_subject(exported.table(name)), _by_subject(expected.table(name))
        if name == "subjects":
            got, want = got.drop(columns="kit_code"), want.drop(columns="kit_code")
        assert_frame_equal(got, want, check_dtype=False)
    # The analysis is the judge: every test result and the CONSORT counts.
    ours, theirs = run_plan(exported, piepers), run_plan(expected, piepers)
    assert_frame_equal(ours.to_frame(), theirs.to_frame(), rtol=1e-9)
    assert ours.consort == theirs.consort
    assert not math.isnan(ours.primary.p_value)


def test_a_withdrawal_and_a_conmed_come_back_and_later_infusions_have_no_action(
    tmp_path: Path, piepers: Protocol
) -> None:
    small = simulate_one_trial(
        piepers, load_population("mmn-default"), effect=0.5, seed=3, n_per_arm=2
    )
    subject = str(small.subjects["subject_id"].iloc[0])
    withdrawn_on = 100
    leaves = small.dispositions["subject_id"] == subject
    dispositions = small.dispositions.copy()
    dispositions.loc[leaves, ["status", "day", "reason"]] = ["withdrawn", withdrawn_on, "moved"]
    conmed = {"subject_id": subject, "medication": "prednisone", "start_day": 20,
              "end_day": None, "category": "prohibited"}  # fmt: skip
    frames = {
        **{name: small.table(name) for name in ("screening", "subjects", "infusions")},
        **{name: small.table(name) for name in ("assessments", "deteriorations")},
        **{name: small.table(name) for name in ("adverse_events", "labs")},
        "conmeds": pd.DataFrame([conmed]),
        "dispositions": dispositions,
    }
    dataset = Dataset.from_frames(small.meta, frames, piepers)
    with Database.open(tmp_path / "study.db") as database:
        made = load_dataset(database, dataset, piepers, "admin", PASSWORD, TODAY)
        exported, _ = export_study(database, made.key, "data manager")
    ours = made.subjects[subject]
    left = exported.dispositions.set_index("subject_id").loc[ours]
    assert (left["status"], left["day"], left["reason"]) == ("withdrawn", withdrawn_on, "moved")
    assert exported.conmeds.to_dict("records") == [{**conmed, "subject_id": ours}]
    given = exported.infusions[exported.infusions["subject_id"] == ours]
    after = given[given["day"] > withdrawn_on]
    assert len(after) > 0
    assert after["action"].isna().all()
    assert after["level"].isna().all()
    assert given.loc[given["day"].between(0, withdrawn_on), "action"].notna().all()


def test_labs_export_with_their_normal_range_and_the_apps_grade(
    tmp_path: Path, piepers: Protocol
) -> None:
    # Platelets and creatinine are recorded by the lab form for the safety rules (typed
    # here with a range of their own, off the simulator's lab schedule); the dataset
    # carries them with the range they were graded against, and the grade the
    # app computed (CTCAE v5.0: platelets 60 against LLN 150 is grade 2, "<75-50";
    # creatinine 200 against ULN 100 is 2 x ULN, grade 2, ">1.5-3.0 x ULN").
    small = simulate_one_trial(
        piepers, load_population("mmn-default"), effect=0.5, seed=3, n_per_arm=2
    )
    subject = str(small.subjects["subject_id"].iloc[0])
    extra = [
            {"subject_id": subject, "day": 30, "test": "platelets", "value": 60.0,
             "unit": "10^9/L", "lln": 150.0, "uln": 400.0, "grade": None},
            {"subject_id": subject, "day": 30, "test": "creatinine", "value": 200.0,
             "unit": "umol/L", "lln": 60.0, "uln": 100.0, "grade": None},
    ]  # fmt: skip
    frames = small.tables()
    frames["labs"] = pd.DataFrame([*small.labs.to_dict("records"), *extra])
    dataset = Dataset.from_frames(small.meta, frames, piepers)
    with Database.open(tmp_path / "study.db") as database:
        made = load_dataset(database, dataset, piepers, "admin", PASSWORD, TODAY)
        exported, _ = export_study(database, made.key, "data manager")
    ours = exported.labs[
        (exported.labs["subject_id"] == made.subjects[subject])
        & exported.labs["test"].isin(["platelets", "creatinine"])
        # day 30: no sample of the simulator's lab schedule is due then
        & (exported.labs["day"] == 30)
    ].sort_values("test")
    assert ours[["test", "value", "lln", "uln", "grade"]].to_dict("records") == [
        {"test": "creatinine", "value": 200.0, "lln": 60.0, "uln": 100.0, "grade": 2},
        {"test": "platelets", "value": 60.0, "lln": 150.0, "uln": 400.0, "grade": 2},
    ]


def test_the_loader_writes_as_a_named_account_that_it_retires(loaded: tuple[Path, Loaded]) -> None:
    path, _ = loaded
    who = {w for (w,) in raw(path, "SELECT DISTINCT who FROM chain_entries WHERE chain = 'audit'")}
    assert LOADER in who
    assert raw(path, f"SELECT active FROM users WHERE username = '{LOADER}'") == [(0,)]


def test_export_command_writes_a_dataset_that_analyze_runs_on(
    loaded: tuple[Path, Loaded], tmp_path: Path
) -> None:
    path, made = loaded
    key = save(made.key, tmp_path / "list.json")
    out = tmp_path / "export"
    code, output = run_main(
        ["study", "export", "--db", str(path), "--key", str(key), "--out", str(out),
         "--format", "csv"]
    )  # fmt: skip
    assert code == 0, output
    meta = json.loads((out / "dataset.json").read_text(encoding="utf-8"))
    assert meta["source"] == "captured"
    assert meta["protocol_sha256"] == protocol_hash(load_protocol("piepers-2007"))
    head = raw(path, "SELECT count(*) FROM chain_entries WHERE chain = 'audit'")[0][0]
    assert meta["provenance"]["audit_entries"] == head
    code, output = run_main(["analyze", str(out), "--out", str(tmp_path / "report"), "--no-pdf"])
    assert code == 0, output


def test_export_names_a_subject_without_age_and_sex(
    study: str | Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A participant randomized before randomization asked for age and sex (an older
    # study) has none: the export must still name it rather than write a gap.
    monkeypatch.setattr("mmntrial.capture.allocation.demographics.required", lambda c, e: None)
    monkeypatch.setattr("tests.capture.trial_setup.demographics.record", lambda *a: 0)
    with Database.open(study) as database:
        with database.write() as conn:
            key = study_list(conn)
            entry = enrol_eligible(conn, "AMC", "S1")
        ledger = allocation.open_ledger(database, slots_of(key), key)
        with database.write() as conn:
            allocation.randomize(conn, ledger, "AMC", entry, WHO, TODAY)
        with pytest.raises(CaptureError, match=r"subject AMC-001: got no age and sex"):
            export_study(database, key, "data manager")


def _imports_the_export(tree: ast.Module) -> bool:
    export = "mmntrial.capture.dataset_export"
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == export:
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "mmntrial.capture"
            and any(alias.name == "dataset_export" for alias in node.names)
        ):
            return True
        if isinstance(node, ast.Import) and any(a.name == export for a in node.names):
            return True
    return False


def test_only_the_dsmb_module_serves_the_unblinded_export() -> None:
    # The export is unblinded by design: a command of the data manager, and in the web
    # app the DSMB statistician's reports alone. Exactly one capture module imports it,
    # and every route of that module is the DSMB statistician's only.
    importers = {
        module.name
        for module in CAPTURE.glob("*.py")
        if _imports_the_export(ast.parse(module.read_text(encoding="utf-8")))
    }
    assert importers == {"dsmb_web.py"}
    assert {name for name in PERMISSIONS if name.startswith("dsmb_")} == set(dsmb_web.ROUTES)
    for route in dsmb_web.ROUTES:
        assert PERMISSIONS[route].roles == {Role.DSMB_STATISTICIAN}, route
