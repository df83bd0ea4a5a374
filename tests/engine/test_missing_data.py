"""Missing data never lowers a dose: a taper step needs every criterion assessed in time.

Hand-worked histories on piepers-2007 (infusions every 28 days from day 0, taper from
day 91, monthly visits): each is replayed alone (the one-patient path) and in a batch
with other patients (the vectorized path), and through ``mmntrial engine replay``.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from mmntrial.engine import core
from mmntrial.engine.explain import explain
from mmntrial.engine.replay import DecisionRecord, replay
from mmntrial.engine.states import Action
from mmntrial.measures.history import Assessment, PatientHistory
from mmntrial.protocol.model import Protocol
from tests.engine.builders import STABLE, VISIT_DAYS, history, piepers, with_deterioration

WITHOUT_MONTHS_4_5 = history("M45", visit_days=tuple(d for d in VISIT_DAYS if d not in (122, 152)))


def _without(measure: str, patient: PatientHistory) -> PatientHistory:
    kept = tuple(
        Assessment(a.day, {k: v for k, v in a.values.items() if k.split(":")[0] != measure})
        for a in patient.assessments
    )
    return PatientHistory("NOMRC", patient.infusions, kept)


NO_MRC = _without("mrc_sum", history())


def _alone_and_in_a_batch(protocol: Protocol, patient: PatientHistory) -> dict[int, DecisionRecord]:
    """The patient's decisions by day, checked equal alone and among other patients."""
    alone = replay(protocol, [patient]).decisions[0]
    batch = replay(protocol, [history("A"), patient, history("B", visit_days=(0, 91))])
    assert batch.decisions[1] == alone
    return {r.day: r for r in alone}


def _actions(days: dict[int, DecisionRecord], *wanted: int) -> list[str]:
    return [days[d].action.label for d in wanted]


def test_months_4_and_5_missing_hold_the_dose_instead_of_reducing_to_zero() -> None:
    p = piepers()
    days = _alone_and_in_a_batch(p, WITHOUT_MONTHS_4_5)
    # Step 1 on day 112 (every measure judged before the taper); nothing assessed from
    # day 112 to day 182, so days 140 and 168 hold at 75%; day 182 is assessed, so the
    # taper resumes on day 196.
    assert _actions(days, 112, 140, 168, 196) == ["reduce", "hold", "hold", "reduce"]
    assert days[168].percent_of_baseline == 75.0
    assert days[196].percent_of_baseline == 50.0
    text = explain(p, days[140])
    assert "Hold at 30 g every 28 days" in text
    assert "MRC sum, grip and GNDS upper limb not assessed since day 112" in text
    assert "assess before the next infusion" in text
    # With every visit kept, the same patient walks down at every infusion.
    full = _alone_and_in_a_batch(p, history("FULL"))
    assert _actions(full, 112, 140, 168, 196) == ["reduce"] * 4


def test_a_measure_never_recorded_holds_the_baseline_dose() -> None:
    p = piepers()
    days = _alone_and_in_a_batch(p, NO_MRC)
    reductions = [d for d, r in days.items() if r.action is Action.REDUCE]
    assert reductions == []
    assert all(r.percent_of_baseline == 100.0 for r in days.values())
    text = explain(p, days[112])
    assert "MRC sum not assessed before the taper (no pre-taper reference)" in text
    assert [c.measure for c in days[112].criteria if c.unassessed] == ["mrc_sum"]


def test_a_measure_assessed_only_after_the_taper_started_cannot_be_judged() -> None:
    # MRC missing up to day 91, then recorded: no reference, so it is never judged and
    # the engine says so instead of tapering on.
    p = piepers()
    late = PatientHistory(
        "LATE",
        NO_MRC.infusions,
        tuple(
            Assessment(a.day, {**a.values, "mrc_sum": 86.0}) if a.day > 91 else a
            for a in NO_MRC.assessments
        ),
    )
    days = _alone_and_in_a_batch(p, late)
    assert _actions(days, 112, 140) == ["hold", "hold"]
    assert "was measured but has no reference" in explain(p, days[140])


def test_a_window_counts_days_before_the_infusion_not_the_last_step() -> None:
    # A 21-day window instead of "since the last step".
    p = with_deterioration(piepers(), assessed_within_days=21)
    days = _alone_and_in_a_batch(p, WITHOUT_MONTHS_4_5)
    # Day 112: the day-91 visit is 21 days before (in the window). Day 140 and 168: the
    # last assessment is day 91, 49 and 77 days before; day 196: day 182 is 14 days before.
    assert _actions(days, 112, 140, 168, 196) == ["reduce", "hold", "hold", "reduce"]
    assert "not assessed since day 119 (21 days before this infusion)" in explain(p, days[140])
    narrow = with_deterioration(piepers(), assessed_within_days=20)
    assert _alone_and_in_a_batch(narrow, history("FULL"))[112].action is Action.HOLD


def test_the_rescue_criteria_do_not_gate_a_step() -> None:
    # Only deterioration criteria are required; the engine's gate marks no rescue column.
    p = piepers()
    state = core.start(p, np.array([0.143]), np.array([28.0]))
    values = core.series_matrix(p, {k: np.array([v]) for k, v in STABLE.items()}, 1)
    state = core.observe(p, state, np.array([91.0]), values, np.array([True]))
    state, decision = core.decide(p, state, np.array([112.0]), np.array([70.0]), np.array([True]))
    assert decision.action.tolist() == [Action.REDUCE]
    assert not decision.unassessed.any()


def _as_csv(patient: PatientHistory, path: Path) -> None:
    fields = "subject,day,kind,measure,side,value,unit,interval_days,weight_kg,product,route,note"
    rows: list[list[object]] = []
    for inf in patient.infusions:
        rows.append([patient.subject, inf.day, "infusion", "", "", inf.dose_g, "g",
                     inf.interval_days, inf.weight_kg, inf.product, inf.route, ""])  # fmt: skip
    units = {"mrc_sum": "points", "grip_kpa": "kPa", "gnds_upper": "grade"}
    for a in patient.assessments:
        for key, value in a.values.items():
            measure, _, side = key.partition(":")
            rows.append([patient.subject, a.day, "assessment", measure, side, value,
                         units[measure], "", "", "", "", ""])  # fmt: skip
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(fields.split(","))
        writer.writerows(sorted(rows, key=lambda r: (int(str(r[1])), str(r[2]))))


def test_engine_replay_on_the_command_line_holds_and_says_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "missing.csv"
    _as_csv(WITHOUT_MONTHS_4_5, path)
    done = subprocess.run(
        [sys.executable, "-m", "mmntrial", "engine", "replay", str(path), "--json"],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    decisions = {d["day"]: d for d in map(json.loads, done.stdout.splitlines())}
    assert [decisions[d]["action"] for d in (112, 140, 168, 196)] == [
        "reduce",
        "hold",
        "hold",
        "reduce",
    ]
    assert decisions[140]["unassessed"] == ["mrc_sum", "grip_kpa", "gnds_upper"]
    assert "not assessed since day 112" in decisions[140]["explanation"]
