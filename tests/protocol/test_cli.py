"""`mmntrial protocol list|show|check`, run through cli.app.main as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from mmntrial.cli.app import main
from mmntrial.protocol.loader import load_protocol
from mmntrial.protocol.serialize import protocol_to_dict

_PIEPERS_TEXT = (
    resources.files("mmntrial.protocol").joinpath("builtin/piepers-2007.toml").read_text("utf-8")
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``mmntrial ARGS``."""
    with pytest.raises(SystemExit) as caught:
        main(list(args))
    out, err = capsys.readouterr()
    code = caught.value.code
    return (code if isinstance(code, int) else 1), out, err


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    """piepers-2007 with three mistakes in different tables."""
    text = (
        _PIEPERS_TEXT.replace("start_day = 91", "start_day = 400")
        .replace('mrc_missing = "missing"', 'mrc_missing = "zero"')
        .replace("[baseline]\nn_infusions = 3", "[baseline]\nn_infusion = 3")
    )
    path = tmp_path / "bad [draft].toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_list_shows_every_builtin(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "protocol", "list")
    assert code == 0
    for name, mode in [
        ("piepers-2007", "percent_step"),
        ("cidp-levels", "levels"),
        ("interval-lengthening", "interval"),
    ]:
        line = next(line for line in out.splitlines() if name in line)
        assert mode in line


@pytest.mark.parametrize("name", ["piepers-2007", "cidp-levels", "interval-lengthening"])
def test_show_summarises_the_design(capsys: pytest.CaptureFixture[str], name: str) -> None:
    code, out, err = run(capsys, "protocol", "show", name)
    assert (code, err) == (0, "")
    for heading in ("Arms", "Eligibility", "Visits", "Taper", "Deterioration", "Endpoints"):
        assert heading in out
    assert "[S1]" in out or "[S21" in out  # source tags are text, not Rich markup


def test_show_states_the_restore_reference_and_missing_data_rules(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "protocol", "show", "piepers-2007")
    assert code == 0
    text = " ".join(out.split())  # Rich wraps long lines at the terminal width
    assert "restore_and_stop, back to last_stable" in text
    assert "confirmed by repeat" in text
    assert "pre-taper reference: mean of the last 3 assessments" in text
    assert "renewed after 3 stable assessments" in text
    assert "stable at a dose after 1 quiet assessment in a row" in text
    assert "a taper step needs every criterion assessed since the last step" in text


def test_show_json_is_the_whole_protocol(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "protocol", "show", "cidp-levels", "--json")
    assert code == 0
    assert json.loads(out) == protocol_to_dict(load_protocol("cidp-levels"))


def test_show_a_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(_PIEPERS_TEXT, encoding="utf-8")
    code, out, _ = run(capsys, "protocol", "show", str(path), "--json")
    assert code == 0
    assert json.loads(out)["protocol"]["name"] == "piepers-2007"


def test_check_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "protocol", "check", "piepers-2007") == (
        0,
        "ok: piepers-2007 is valid\n",
        "",
    )


def test_check_invalid_lists_every_problem_and_exits_2(
    capsys: pytest.CaptureFixture[str], bad_file: Path
) -> None:
    code, out, err = run(capsys, "protocol", "check", str(bad_file))
    assert code == 2
    assert out == ""
    assert err.startswith(f"error: protocol {bad_file}: 5 problems\n")
    for expected in [
        "PROTO-E004 baseline.n_infusion: got 'n_infusion', expected a key of [baseline] "
        "(did you mean 'n_infusions'?)",
        "PROTO-E005 baseline.n_infusions: got nothing, expected integer >= 1 and <= 12 (required)",
        'PROTO-E008 measures.mrc_missing: got \'zero\', expected one of "missing", "impute_last"',
        "PROTO-E012 taper.start_day: got 400, expected a day before the last visit (365)",
        "PROTO-E030 endpoints.primary.day: got 365, expected a day after taper.start_day "
        "(400): no reduction happens before the taper",
    ]:
        assert f"  {expected}\n" in err
    assert "Traceback" not in err


def test_show_invalid_also_exits_2(capsys: pytest.CaptureFixture[str], bad_file: Path) -> None:
    code, out, err = run(capsys, "protocol", "show", str(bad_file), "--json")
    assert (code, out) == (2, "")
    assert "PROTO-E012" in err


def test_check_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "protocol", "check", "piepers")
    assert code == 2
    assert "PROTO-E001 protocol: got 'piepers', expected a built-in protocol" in err


def test_check_in_a_real_process_prints_no_traceback(bad_file: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mmntrial", "protocol", "check", str(bad_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.count("  PROTO-E0") == 5
