"""The design report's provenance: a visible table, the record embedded in the page and
beside it as provenance.json, and ``mmntrial reproduce`` re-running the study."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from mmntrial.report.design_report import PROVENANCE_NAME, DesignReportPaths
from mmntrial.report.design_study import DesignStudy
from mmntrial.simulate.provenance import population_hash, protocol_hash
from tests.cli.running import run_main

EMBEDDED = re.compile(r'<script type="application/json" id="provenance">(.*?)</script>', re.S)


def test_the_record_is_beside_the_page_in_it_and_shown(
    design_report: DesignReportPaths, design_html: str, design_study: DesignStudy
) -> None:
    record = json.loads((design_report.html.parent / PROVENANCE_NAME).read_text("utf-8"))
    assert record["kind"] == "design-report"
    assert record["protocol"]["sha256"] == protocol_hash(design_study.protocol)
    assert record["population"]["sha256"] == population_hash(design_study.population)
    assert (record["seed"], record["trials"], record["n_per_arm"]) == (3, 60, 14)
    assert record["effects"] == [0.0, 0.5]
    assert record["question"]["max_trials"] == 1000
    assert record["numbers"]["size"]["n_per_arm"] == design_study.size.n_per_arm
    rate = record["numbers"]["effects"][1]["rejection_rate"]
    assert rate == design_study.effects[1].rejection_rate
    (embedded,) = EMBEDDED.findall(design_html)
    assert json.loads(embedded) == record
    section = design_html[design_html.index('<section id="reproducibility">') :]
    assert f'<code class="hash">{record["protocol"]["sha256"]}</code>' in section
    assert f'<code class="hash">{record["population"]["sha256"]}</code>' in section
    assert "60 trials at each effect (0.0, 0.5), 14 per arm" in section


def test_a_design_report_reproduces_and_a_changed_number_is_named(
    design_report: DesignReportPaths, tmp_path: Path
) -> None:
    folder = design_report.html.parent
    code, output = run_main(["reproduce", str(folder)])
    assert code == 0, output
    assert "reproduced: design report of piepers-2007" in output
    copy = tmp_path / "report"
    shutil.copytree(folder, copy)
    record = json.loads((copy / PROVENANCE_NAME).read_text("utf-8"))
    record["numbers"]["effects"][1]["arms"]["mmf"]["dropouts"]["mean"] += 0.5
    (copy / PROVENANCE_NAME).write_text(json.dumps(record), encoding="utf-8")
    code, output = run_main(["reproduce", str(copy / PROVENANCE_NAME)])
    assert code == 2, output
    assert "not reproduced: 1 difference: effects[1].arms.mmf.dropouts.mean: recorded" in output
