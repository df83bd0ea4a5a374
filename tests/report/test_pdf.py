"""The PDF: written when WeasyPrint and Pango work, else a reason and never a crash."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import pytest

from mmntrial.analysis.plan import PlanResults
from mmntrial.dataset.schema import Dataset
from mmntrial.protocol.model import Protocol
from mmntrial.report.pdf import pdf_unavailable_reason, write_pdf
from mmntrial.report.write import write_report

REASON = pdf_unavailable_reason()
needs_weasyprint = pytest.mark.skipif(REASON is not None, reason=f"no PDF here: {REASON}")


class _NoPango(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``weasyprint`` as a machine without Pango does: OSError from cffi."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == "weasyprint":
            return importlib.machinery.ModuleSpec(fullname, self)
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        raise OSError("cannot load library 'libpango-1.0-0': No such file or directory")


@pytest.mark.slow
@needs_weasyprint
def test_the_report_is_written_as_pdf_too(
    factory_dataset: Dataset, piepers: Protocol, factory_plan: PlanResults, tmp_path: Path
) -> None:
    paths = write_report(factory_dataset, piepers, factory_plan, tmp_path)
    assert paths.pdf == tmp_path / "report.pdf"
    data = paths.pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert b"%%EOF" in data[-1024:]
    # Several pages of tables and figures, not an empty document.
    assert len(data) > 30_000
    assert "Also as PDF: report.pdf" in paths.html.read_text()


@needs_weasyprint
def test_write_pdf_of_a_small_page(tmp_path: Path) -> None:
    outcome = write_pdf("<h1>Report</h1><svg width='10' height='10'></svg>", tmp_path / "a.pdf")
    assert outcome.written
    assert outcome.reason is None
    assert (tmp_path / "a.pdf").read_bytes()[:5] == b"%PDF-"


def test_missing_pango_gives_a_reason_not_an_exception(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "weasyprint", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_NoPango(), *sys.meta_path])
    reason = pdf_unavailable_reason()
    assert reason is not None
    assert "libpango-1.0-0" in reason
    assert "scripts/system-deps" in reason
    outcome = write_pdf("<p>x</p>", tmp_path / "a.pdf")
    assert not outcome.written
    assert outcome.reason == reason
    assert not (tmp_path / "a.pdf").exists()


def test_missing_package_gives_a_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes `import weasyprint` raise ImportError.
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    outcome = write_pdf("<p>x</p>", tmp_path / "a.pdf")
    assert outcome.path is None
    assert outcome.reason is not None
    assert "weasyprint package is not installed" in outcome.reason


def test_a_layout_failure_gives_a_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = ModuleType("weasyprint")

    class Broken:
        def __init__(self, **_: object) -> None:
            raise ValueError("unsupported thing")

    fake.HTML = Broken  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "weasyprint", fake)
    outcome = write_pdf("<p>x</p>", tmp_path / "a.pdf")
    assert outcome.reason == "WeasyPrint failed: ValueError: unsupported thing"
