"""`mmntrial design-report` as a user runs it: the report written, the headline printed."""

from __future__ import annotations

from pathlib import Path

from tests.cli.running import run_main


def test_design_report_writes_the_html_and_prints_the_headline(tmp_path: Path) -> None:
    out = tmp_path / "design"
    code, output = run_main(
        [
            "design-report", "--out", str(out), "--effects", "0,0.5", "--trials", "40",
            "--seed", "2", "--size-trials", "1000", "--max-n", "40", "--no-pdf",
        ]
    )  # fmt: skip
    assert code == 0, output
    assert "effect 0: type I error" in output
    assert "effect 0.5: power" in output
    assert f"wrote {out / 'design-report.html'}" in output
    assert "PDF not written: not requested (--no-pdf)" in output
    html = (out / "design-report.html").read_text(encoding="utf-8")
    assert "--effects 0,0.5 --trials 40 --seed 2 --n-per-arm 14" in html
    assert f"--out {out}" in html
