"""The DSMB reports: the open one pooled and without any arm, the closed one by arm."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mmntrial.dataset.io import write_dataset
from mmntrial.dataset.schema import Dataset
from mmntrial.errors import MmntrialError
from mmntrial.protocol.loader import load_protocol
from mmntrial.protocol.model import Protocol, Safety
from mmntrial.report.dsmb import NO_RULES, write_dsmb
from mmntrial.report.pdf import pdf_unavailable_reason
from tests.cli.running import run_main

REASON = pdf_unavailable_reason()
SAFETY = load_protocol("piepers-2007").safety


def _arm_words(protocol: Protocol) -> list[str]:
    # Arm names and labels, and the drug: any of them would tell the arms apart.
    words = {a.name for a in protocol.arms} | {a.label for a in protocol.arms}
    return sorted(words)


@pytest.fixture
def labels(piepers: Protocol) -> dict[str, str]:
    return {a.name: a.label for a in piepers.arms}


def test_the_open_report_holds_no_arm(
    factory_dataset: Dataset, piepers: Protocol, labels: dict[str, str], tmp_path: Path
) -> None:
    paths = write_dsmb(factory_dataset, labels, tmp_path, closed=False, safety=SAFETY, pdf=False)
    html = paths.html.read_text(encoding="utf-8")
    assert paths.html.name == "dsmb-open.html"
    for word in _arm_words(piepers):
        assert not re.search(re.escape(word), html, re.IGNORECASE), word
    assert "All subjects" in html
    for section in ("disposition", "adverse-events", "labs", "deteriorations"):
        assert f'id="{section}"' in html


def test_the_closed_report_is_by_arm(
    factory_dataset: Dataset, labels: dict[str, str], tmp_path: Path
) -> None:
    paths = write_dsmb(factory_dataset, labels, tmp_path, closed=True, safety=SAFETY, pdf=False)
    html = paths.html.read_text(encoding="utf-8")
    for label in labels.values():
        assert f"{label}, n (%)" in html
    assert "Gastrointestinal disorders" in html
    assert "Listing of serious adverse events" in html
    assert "baseline grade" in html


@pytest.mark.skipif(REASON is not None, reason=f"no PDF here: {REASON}")
def test_both_reports_as_pdf_in_one_folder(
    factory_dataset: Dataset, labels: dict[str, str], tmp_path: Path
) -> None:
    open_ = write_dsmb(factory_dataset, labels, tmp_path, closed=False, safety=SAFETY)
    assert open_.pdf is not None
    assert open_.pdf.read_bytes().startswith(b"%PDF-")
    # The closed report replaces the folder: a DSMB folder holds one report at a time.
    closed = write_dsmb(factory_dataset, labels, tmp_path, closed=True, safety=SAFETY)
    assert closed.pdf is not None
    assert closed.pdf.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dsmb-closed.html", "dsmb-closed.pdf"]


def test_a_folder_of_other_files_is_refused(
    factory_dataset: Dataset, labels: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(MmntrialError, match="out_dir"):
        write_dsmb(factory_dataset, labels, tmp_path, closed=False, safety=SAFETY, pdf=False)
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_the_command_writes_the_closed_report(factory_dataset: Dataset, tmp_path: Path) -> None:
    write_dataset(factory_dataset, tmp_path / "data", "csv")
    code, output = run_main(
        ["dsmb", str(tmp_path / "data"), "--out", str(tmp_path / "d"), "--closed", "--no-pdf"]
    )
    assert code == 0, output
    assert "closed DSMB report:" in output
    assert (tmp_path / "d" / "dsmb-closed.html").exists()
    code, output = run_main(["dsmb", str(tmp_path / "data"), "--out", str(tmp_path / "d")])
    assert code == 0, output
    assert (tmp_path / "d" / "dsmb-open.html").exists()


def test_both_reports_count_the_protocol_safety_rules(
    factory_dataset: Dataset, piepers: Protocol, labels: dict[str, str], tmp_path: Path
) -> None:
    # The factory's S03 (mmf) has neutrophils 0.9 on day 175: below 1.3, and grade 3.
    open_ = write_dsmb(factory_dataset, labels, tmp_path, closed=False, safety=SAFETY, pdf=False)
    html = open_.html.read_text(encoding="utf-8")
    assert 'id="safety-rules"' in html
    assert "All subjects, subjects n (%)" in html
    assert "Neutrophils below 1.3 10^9/L" in html
    for word in _arm_words(piepers):
        assert not re.search(re.escape(word), html, re.IGNORECASE), word
    closed = write_dsmb(factory_dataset, labels, tmp_path, closed=True, safety=SAFETY, pdf=False)
    html = closed.html.read_text(encoding="utf-8")
    row = re.search(r"<td>neutrophils_low</td>(.*?)</tr>", html, re.DOTALL)
    assert row is not None
    assert re.findall(r">([^<]*)</td>", row.group(1))[1:3] == ["1 (33.3%)", "0 (0.0%)"]
    assert f"{labels['mmf']}, could not evaluate" in html


def test_a_protocol_without_safety_rules_says_so(
    factory_dataset: Dataset, labels: dict[str, str], tmp_path: Path
) -> None:
    paths = write_dsmb(factory_dataset, labels, tmp_path, closed=True, safety=Safety(), pdf=False)
    html = paths.html.read_text(encoding="utf-8")
    assert NO_RULES in html
    assert "Safety rules fired</caption>" not in html
