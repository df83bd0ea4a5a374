"""The design report (issue 13): every section, assumption, effect and figure is there,
and the numbers are the design_study's; written in a few seconds from a small design_study."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mmntrial.errors import MmntrialError, SimulationError
from mmntrial.report.design_report import (
    DESIGN_REPORT_FILES,
    SECTION_IDS,
    DesignReportPaths,
    write_design_report,
)
from mmntrial.report.design_study import DesignStudy, Spread, check_effects
from mmntrial.simulate.population import load_population
from tests.report.test_pdf import needs_weasyprint


def test_every_section_and_figure_is_written(
    design_report: DesignReportPaths, design_html: str
) -> None:
    for section in SECTION_IDS:
        assert f'<section id="{section}">' in design_html
    assert design_html.count("<svg") == 2
    assert sorted(design_report.figures) == ["harm-savings", "power-n"]
    assert all(path.is_file() for path in design_report.figures.values())
    assert {p.name for p in design_report.html.parent.iterdir()} <= DESIGN_REPORT_FILES
    assert "PDF not written: not requested" in design_html


def test_every_assumption_is_listed_with_its_resolved_source(
    design_study: DesignStudy, design_html: str
) -> None:
    population = load_population("mmn-default")
    assert len(design_study.assumptions) == len(population.sources)
    for assumption in design_study.assumptions:
        assert f"<code>{assumption.key}</code>" in design_html
    # A tag resolves to its reference (S1 is the reference trial).
    assert "[S1] Piepers et al., Brain 2007" in design_html


def test_effects_are_sorted_and_effect_0_is_the_type_i_error(design_study: DesignStudy) -> None:
    assert [row.effect for row in design_study.effects] == [0.0, 0.5]
    assert [row.measure for row in design_study.effects] == ["type I error", "power"]
    # The drug arm responds more with the drug than without; the control arm does not
    # depend on the drug's effect (same seed, same virtual patients).
    drug0, control0 = design_study.effects[0].arms
    drug5, control5 = design_study.effects[1].arms
    assert drug5.reaching_primary.mean > drug0.reaching_primary.mean
    assert control5.reaching_primary == control0.reaching_primary


def test_the_tables_show_the_studys_numbers(design_study: DesignStudy, design_html: str) -> None:
    row = design_study.effects[1]
    assert f"{100 * row.rejection_rate:.1f}%" in design_html
    saved = row.arms[0].ivig_saved_g_per_patient_year
    assert f"{saved.mean:.0f} ({saved.low:.0f} to {saved.high:.0f})" in design_html


def test_the_power_figure_names_the_protocols_test(design_html: str) -> None:
    # piepers-2007's analysis plan: Fisher's exact test, two-sided, alpha 0.05.
    assert "two-sided Fisher exact test of the primary endpoint at alpha 0.05" in design_html


def test_seed_version_and_the_reproducing_command_are_printed(design_html: str) -> None:
    from mmntrial import __version__

    assert f"<code>{__version__}</code>" in design_html
    assert (
        "mmntrial design-report --protocol piepers-2007 --population mmn-default "
        "--effects 0,0.5 --trials 60 --seed 3 --n-per-arm 14 --size-effect 0.5 --power 0.8 "
        "--size-trials 1000 --max-n 40 --out DIR"
    ) in design_html


def test_a_bad_list_of_effects_is_refused_naming_the_option() -> None:
    with pytest.raises(SimulationError, match="--effects: got 0 effects, expected 1 to 12"):
        check_effects([], "--effects")
    with pytest.raises(SimulationError, match="expected each effect once"):
        check_effects([0.5, 0.5], "--effects")


def test_the_spread_over_trials_against_reference() -> None:
    # R: quantile(1:10, c(0.025, 0.975)) (type 7, R's default) gives 1.225 and 9.775.
    spread = Spread.of(np.arange(1.0, 11.0))
    assert (spread.mean, spread.low, spread.high) == pytest.approx((5.5, 1.225, 9.775))


def test_an_earlier_report_is_replaced_and_anything_else_refused(
    design_study: DesignStudy, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    write_design_report(design_study, out, command="c", pdf=False)
    write_design_report(design_study, out, command="c", pdf=False)  # replaced whole
    (out / "notes.txt").write_text("mine")
    with pytest.raises(MmntrialError, match=r"notes\.txt"):
        write_design_report(design_study, out, command="c", pdf=False)


@pytest.mark.slow
@needs_weasyprint
def test_the_design_report_is_written_as_pdf_too(design_study: DesignStudy, tmp_path: Path) -> None:
    paths = write_design_report(design_study, tmp_path / "out", command="c")
    assert paths.pdf == tmp_path / "out" / "design-report.pdf"
    data = paths.pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert b"%%EOF" in data[-1024:]
    assert "Also as PDF: design-report.pdf" in paths.html.read_text(encoding="utf-8")
