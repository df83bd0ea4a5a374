"""The CONSORT diagram: every count is written, boxes never overlap, arrows join stages."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from mmntrial.report.consort import NBSP, ArmFlow, Box, Flow, consort_svg, layout

SVG = "{http://www.w3.org/2000/svg}"


def _flow(n_arms: int = 2) -> Flow:
    arms = [
        ArmFlow(
            "mmf",
            "Mycophenolate mofetil + IVIg",
            14,
            withdrawn={"adverse event (leukopenia)": 2, "pregnancy": 1},
            lost={"moved abroad": 1},
            analysed=14,
        ),
        ArmFlow("placebo", "Placebo + IVIg", 13, withdrawn={"lack of efficacy": 1}, analysed=13),
        ArmFlow("third", "Third arm", 5, analysed=4, excluded_from_analysis={"no baseline": 1}),
    ][:n_arms]
    return Flow(
        assessed=35,
        excluded={"neutropenia": 3, "declined: travel burden": 2, "not IVIg-responsive": 3},
        randomized=sum(a.allocated for a in arms),
        arms=arms,
    )


def _text(svg: str) -> str:
    root = ET.fromstring(svg)
    lines = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    # Wrapped lines of a box read as one text once whitespace is collapsed.
    return " ".join(" ".join(lines).replace(NBSP, " ").split())


def _rects(svg: str) -> list[Box]:
    root = ET.fromstring(svg)
    return [
        Box(float(r.get("x", 0)), float(r.get("y", 0)), float(r.get("width", 0)),
            float(r.get("height", 0)), ())
        for r in root.iter(f"{SVG}rect")
    ]  # fmt: skip


def test_every_count_and_reason_appears_in_the_text() -> None:
    text = _text(consort_svg(_flow()))
    for expected in (
        "Assessed for eligibility (n = 35)",
        "Excluded (n = 8)",
        "• neutropenia (n = 3)",
        "• declined: travel burden (n = 2)",
        "Randomized (n = 27)",
        "Allocated to Placebo + IVIg (n = 13)",
        "Withdrawn (n = 3)",
        "Lost to follow-up (n = 1)",
        "• moved abroad (n = 1)",
        "Analysed (n = 14)",
        "Analysed (n = 13)",
    ):
        assert expected in text, expected
    assert "Mycophenolate mofetil" in text


def test_boxes_and_stage_labels_do_not_overlap() -> None:
    for n_arms in (1, 2, 3):
        rects = _rects(consort_svg(_flow(n_arms)))
        assert len(rects) == 3 + 3 * n_arms + 4  # enrolment boxes, arm boxes, stage labels
        for a, b in itertools.combinations(rects, 2):
            assert not a.overlaps(b), (a, b)


def test_boxes_fit_in_the_drawing_and_text_fits_in_its_box() -> None:
    flow = _flow()
    plan = layout(flow)
    for box in plan.boxes():
        assert box.x >= 0
        assert box.x + box.width <= plan.width
        assert box.y >= 0
        assert box.bottom <= plan.height
        # The generous width estimate of the layout: no line wider than its box.
        assert max(len(line) for line in box.lines) * 7.2 <= box.width - 16


def test_arrows_run_down_each_arm_from_allocation_to_analysis() -> None:
    svg = consort_svg(_flow())
    root = ET.fromstring(svg)
    heads = [line for line in root.iter(f"{SVG}line") if line.get("marker-end")]
    # assessed->randomized, ->excluded, and three per arm (split->allocation->follow-up->analysis)
    assert len(heads) == 2 + 3 * 2
    plan = layout(_flow())
    for allocation, follow_up, analysis in plan.columns:
        ends = {(float(h.get("x2", 0)), float(h.get("y2", 0))) for h in heads}
        for box in (allocation, follow_up, analysis):
            assert (round(box.centre_x, 1), round(box.y, 1)) in ends


def test_text_from_the_data_is_escaped() -> None:
    flow = Flow(5, {"<script>alert(1)</script> & co": 1}, 4, [ArmFlow("a", "A <b>", 4)])
    svg = consort_svg(flow)
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    ET.fromstring(svg)  # still well-formed XML


def test_one_long_reason_wraps_instead_of_leaving_its_box() -> None:
    reason = "withdrew consent after a long discussion about the travel to the study centre"
    flow = Flow(10, {reason: 1}, 9, [ArmFlow("a", "A", 5), ArmFlow("b", "B", 4)])
    plan = layout(flow)
    assert len(plan.excluded.lines) >= 3
    assert "(n\u00a0=\u00a01)" in plan.excluded.lines[-1]


reasons = st.dictionaries(
    st.text(alphabet=st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=60),
    st.integers(0, 40),
    max_size=6,
)


@settings(max_examples=40, deadline=None)
@given(
    excluded=reasons,
    arms=st.lists(st.tuples(reasons, reasons, reasons), min_size=1, max_size=4),
)
def test_no_overlap_whatever_the_reasons(
    excluded: dict[str, int], arms: list[tuple[dict[str, int], dict[str, int], dict[str, int]]]
) -> None:
    flow = Flow(
        assessed=100,
        excluded=excluded,
        randomized=10 * len(arms),
        arms=[
            ArmFlow(f"arm{i}", f"Arm {i}", 10, withdrawn=w, lost=lost, analysed=10,
                    excluded_from_analysis=x)
            for i, (w, lost, x) in enumerate(arms)
        ],
    )  # fmt: skip
    rects = _rects(consort_svg(flow))
    for a, b in itertools.combinations(rects, 2):
        assert not a.overlaps(b)


def test_the_overlap_check_catches_boxes_that_share_area() -> None:
    assert Box(0, 0, 10, 10, ()).overlaps(Box(5, 5, 10, 10, ()))
    assert Box(5, 5, 10, 10, ()).overlaps(Box(0, 0, 10, 10, ()))
    assert not Box(0, 0, 10, 10, ()).overlaps(Box(0, 10, 10, 10, ()))
