"""The report folder is replaced as a whole: a failed write keeps the old report, whole."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from mmntrial.analysis.plan import PlanResults
from mmntrial.cli.analyze import analyze
from mmntrial.dataset.schema import Dataset
from mmntrial.errors import OutputError
from mmntrial.protocol.model import Protocol
from mmntrial.report import write as write_module
from mmntrial.report.pdf import PdfOutcome
from mmntrial.report.write import write_report

app = typer.Typer()
app.command("analyze")(analyze)


@app.command("other")
def _other() -> None:
    """A second command, so that Typer keeps `analyze` as a sub-command name."""


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def fake_pdf(html: str, path: Path) -> PdfOutcome:
    path.write_bytes(b"%PDF-1.7 " + html[:20].encode() + b"\n%%EOF\n")
    return PdfOutcome(path, None)


def test_a_failed_write_keeps_the_old_report_and_leaves_no_debris(
    factory_dataset: Dataset,
    piepers: Protocol,
    factory_plan: PlanResults,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "report"
    monkeypatch.setattr(write_module, "pdf_unavailable_reason", lambda: None)
    monkeypatch.setattr(write_module, "write_pdf", fake_pdf)
    write_report(factory_dataset, piepers, factory_plan, out)
    old = snapshot(out)
    assert {"report.html", "report.pdf", "figures/km.svg"} <= set(old)

    def disk_full(html: str, path: Path) -> PdfOutcome:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(write_module, "write_pdf", disk_full)
    with pytest.raises(OutputError, match=r"report': cannot be written \(No space left on device"):
        write_report(factory_dataset, piepers, factory_plan, out)
    assert snapshot(out) == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_a_new_report_leaves_nothing_of_the_old_one(
    factory_dataset: Dataset,
    piepers: Protocol,
    factory_plan: PlanResults,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "report"
    monkeypatch.setattr(write_module, "pdf_unavailable_reason", lambda: None)
    monkeypatch.setattr(write_module, "write_pdf", fake_pdf)
    write_report(factory_dataset, piepers, factory_plan, out)
    paths = write_report(factory_dataset, piepers, factory_plan, out, pdf=False)
    # No PDF of the earlier report beside the new HTML, which says there is none.
    assert paths.pdf is None
    assert not (out / "report.pdf").exists()
    assert "PDF not written: not requested" in paths.html.read_text()


def test_a_folder_holding_other_files_is_not_replaced(
    factory_dataset: Dataset, piepers: Protocol, factory_plan: PlanResults, tmp_path: Path
) -> None:
    (tmp_path / "thesis.docx").write_text("not a report")
    with pytest.raises(OutputError, match=r"out_dir: .*it also holds thesis.docx"):
        write_report(factory_dataset, piepers, factory_plan, tmp_path, pdf=False)
    assert (tmp_path / "thesis.docx").read_text() == "not a report"


@pytest.mark.parametrize(
    ("out", "why"),
    [
        ("missing/report", "does not exist"),
        ("a-file", "exists and is not a folder"),
        ("full", "it also holds notes.txt"),
    ],
)
def test_a_wrong_out_is_refused_before_the_dataset_is_read(
    tmp_path: Path, out: str, why: str
) -> None:
    (tmp_path / "a-file").write_text("")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("")
    # The dataset does not exist either: the --out message shows --out was checked first.
    result = CliRunner().invoke(
        app, ["analyze", str(tmp_path / "no-dataset"), "--out", str(tmp_path / out)]
    )
    assert isinstance(result.exception, OutputError)
    message = str(result.exception)
    assert message.startswith(f"--out: got {str(tmp_path / out)!r}, expected a new folder")
    assert why in message
