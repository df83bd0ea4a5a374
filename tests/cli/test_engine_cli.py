"""`mmntrial engine replay` and `mmntrial demo` from the command line, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).parents[2] / "examples" / "piepers-2007-histories.csv"


def mmntrial(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmntrial", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def test_replay_json_prints_one_object_per_decision() -> None:
    done = mmntrial("engine", "replay", str(EXAMPLE), "--protocol", "piepers-2007", "--json")
    assert done.returncode == 0, done.stderr
    decisions = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(decisions) == 5 * 14  # five patients, infusions on days 0..364 every 28 days
    restore = next(d for d in decisions if d["subject"] == "P02-restored" and d["day"] == 196)
    assert restore["action"] == "restore"
    assert restore["state"] == "restored"
    # restore_to = last_stable: 20 g (50%) had a quiet, fully judged assessment, and
    # piepers-2007 takes one such assessment as stable (stable_assessments = 1).
    assert restore["dose_g"] == 20.0
    assert restore["reduction_percent"] == 50.0
    assert restore["fired"] == ["grip_kpa:left"]
    assert "Deterioration confirmed on day 189" in restore["explanation"]
    keys = {"day", "action", "dose_g", "intensity_g_per_kg_week", "reduction_percent", "state"}
    assert keys <= set(restore)


def test_replay_text_shows_timeline_explanations_and_endpoints() -> None:
    done = mmntrial("engine", "replay", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    assert "P03-noise" in done.stdout
    assert "Day 224: Hold at 0 g every 28 days" in done.stdout
    assert "Primary endpoint: reduction >= 50% on day 365" in done.stdout


def test_a_bad_history_is_a_user_error_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("subject,day,kind\nP1,zero,infusion\n")
    done = mmntrial("engine", "replay", str(bad))
    assert done.returncode == 2
    assert "line 2, column day: got 'zero', expected a whole number" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unknown_protocol_is_a_user_error() -> None:
    done = mmntrial("engine", "replay", str(EXAMPLE), "--protocol", "no-such-trial")
    assert done.returncode == 2
    assert "no-such-trial" in done.stderr
    assert "Traceback" not in done.stderr


def test_demo_runs_engine_power_analysis_and_report(tmp_path: Path) -> None:
    done = mmntrial("demo", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Deterioration confirmed on day 189" in done.stdout
    assert "Power of the reference design" in done.stdout
    assert "Fisher's exact test" in done.stdout
    report = tmp_path / "mmntrial-demo" / "report" / "report.html"
    assert report.stat().st_size > 10_000
    assert (tmp_path / "mmntrial-demo" / "dataset" / "dataset.json").exists()
    for kind in ("open", "closed"):
        dsmb = f"mmntrial-demo/dsmb-{kind}/dsmb-{kind}.html"
        assert f"report: {dsmb}" in done.stdout
        assert (tmp_path / dsmb).stat().st_size > 5_000
    # 4. The trial as a study: it opens, its audit trail verifies, the accounts are shown.
    study = tmp_path / "mmntrial-demo" / "study.db"
    key = tmp_path / "mmntrial-demo" / "study-list.json"
    assert "mmntrial serve --db mmntrial-demo/study.db --key mmntrial-demo/study-list.json" in (
        done.stdout
    )
    assert "demo-investigator: investigator at " in done.stdout
    assert "mmntrial-demo-only" in done.stdout
    verified = mmntrial("audit", "verify", "--db", str(study))
    assert verified.returncode == 0, verified.stderr
    exported = mmntrial(
        "study", "export", "--db", str(study), "--key", str(key), "--out", str(tmp_path / "x")
    )
    assert exported.returncode == 0, exported.stderr
    subjects = json.loads((tmp_path / "mmntrial-demo" / "report" / "results.json").read_text())
    assert f"dataset: {subjects['consort']['randomized']} subjects" in exported.stdout
