"""The CONSORT flow diagram, drawn as SVG from the counts of the analysis plan.

No external tool: boxes, arrows and text are laid out here on a fixed grid. The
diagram has the four CONSORT 2010 stages, labelled on the left: enrolment (assessed
for eligibility, excluded with reasons, randomized), allocation (one column per arm),
follow-up (withdrawn and lost to follow-up, with reasons) and analysis (analysed,
excluded from analysis). Box heights follow their wrapped text; boxes of one stage
share a row and a height, so no two boxes overlap whatever the counts and reasons.

Text width is estimated from the number of characters (a generous 0.6 em per
character of DejaVu Sans), because the SVG is laid out before any browser sees it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

FONT_PX = 12.0
LINE_PX = 16.0
PAD_PX = 8.0
CHAR_PX = FONT_PX * 0.6
BOX_PX = 270.0  # width of an arm's box
GAP_PX = 40.0  # between arm columns
STAGE_PX = 92.0  # width of the stage labels on the left
MARGIN_PX = 10.0
ROW_GAP_PX = 34.0
FONT_FAMILY = "DejaVu Sans, Arial, Helvetica, sans-serif"


@dataclass(frozen=True)
class ArmFlow:
    """One arm's column of the diagram: allocated, left the study (with reasons), analysed."""

    arm: str
    label: str
    allocated: int
    withdrawn: Mapping[str, int] = field(default_factory=dict)  # reason -> subjects
    lost: Mapping[str, int] = field(default_factory=dict)  # reason -> subjects
    analysed: int = 0
    excluded_from_analysis: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Flow:
    """Every count the diagram shows, already counted by the analysis plan."""

    assessed: int
    excluded: Mapping[str, int]  # reason -> persons screened but not randomized
    randomized: int
    arms: Sequence[ArmFlow]


@dataclass(frozen=True)
class Box:
    """A laid-out box: top-left corner, size, and its lines (the first one bold)."""

    x: float
    y: float
    width: float
    height: float
    lines: tuple[str, ...]

    @property
    def centre_x(self) -> float:
        """The horizontal centre, where vertical arrows attach."""
        return self.x + self.width / 2

    @property
    def bottom(self) -> float:
        """The lower edge."""
        return self.y + self.height

    def overlaps(self, other: Box) -> bool:
        """Whether the two boxes share any area (touching edges do not count).

        >>> Box(0, 0, 10, 10, ()).overlaps(Box(10, 0, 5, 5, ()))
        False
        """
        return (
            self.x < other.x + other.width
            and other.x < self.x + self.width
            and self.y < other.y + other.height
            and other.y < self.y + self.height
        )


NBSP = "\u00a0"


def _count(label: str, n: int) -> str:
    # No-break spaces keep "(n = 12)" on one line when the text wraps.
    return f"{label} (n{NBSP}={NBSP}{n})"


def _reason_lines(reasons: Mapping[str, int]) -> list[str]:
    return [_count(f"• {reason}", n) for reason, n in sorted(reasons.items())]


def _wrap(lines: Sequence[str], width_px: float) -> tuple[str, ...]:
    chars = max(int((width_px - 2 * PAD_PX) / CHAR_PX), 8)
    out: list[str] = []
    for line in lines:
        # Reason bullets wrap with a hanging indent, so a long reason still reads as one item.
        indent = "  " if line.startswith("•") else ""
        out.extend(textwrap.wrap(line, chars, subsequent_indent=indent) or [""])
    return tuple(out)


def _height(lines: Sequence[str]) -> float:
    return 2 * PAD_PX + LINE_PX * len(lines)


def _arm_texts(arm: ArmFlow) -> tuple[list[str], list[str], list[str]]:
    allocation = [_count(f"Allocated to {arm.label}", arm.allocated)]
    follow_up = [_count("Withdrawn", sum(arm.withdrawn.values()))]
    follow_up += _reason_lines(arm.withdrawn)
    follow_up.append(_count("Lost to follow-up", sum(arm.lost.values())))
    follow_up += _reason_lines(arm.lost)
    analysis = [_count("Analysed", arm.analysed)]
    analysis.append(_count("Excluded from analysis", sum(arm.excluded_from_analysis.values())))
    analysis += _reason_lines(arm.excluded_from_analysis)
    return allocation, follow_up, analysis


@dataclass(frozen=True)
class Layout:
    """Every box of the diagram and the overall size, before drawing."""

    width: float
    height: float
    assessed: Box
    excluded: Box
    randomized: Box
    columns: tuple[tuple[Box, Box, Box], ...]  # per arm: allocation, follow-up, analysis
    stages: tuple[tuple[str, float, float], ...]  # label, top, bottom

    def boxes(self) -> list[Box]:
        """Every box, for checks such as "no two boxes overlap"."""
        return [
            self.assessed,
            self.excluded,
            self.randomized,
            *(b for c in self.columns for b in c),
        ]


def layout(flow: Flow) -> Layout:
    """Place every box of ``flow``; arms side by side, stages top to bottom."""
    n_arms = max(len(flow.arms), 1)
    left = MARGIN_PX + STAGE_PX + 12.0
    arms_width = n_arms * BOX_PX + (n_arms - 1) * GAP_PX
    # Enrolment: the excluded box sits right of the vertical assessed-randomized line,
    # which runs down the middle; with one arm the diagram widens to make room for it.
    arms_width = max(arms_width, 2 * BOX_PX + GAP_PX)
    middle = left + arms_width / 2
    centre_width = BOX_PX + GAP_PX
    assessed_lines = _wrap([_count("Assessed for eligibility", flow.assessed)], centre_width)
    excluded_text = [_count("Excluded", sum(flow.excluded.values())), *_reason_lines(flow.excluded)]
    excluded_x = middle + GAP_PX / 2
    excluded_width = left + arms_width - excluded_x
    excluded_lines = _wrap(excluded_text, excluded_width)
    y = MARGIN_PX
    assessed = Box(
        middle - centre_width / 2, y, centre_width, _height(assessed_lines), assessed_lines
    )
    # The assessed box is narrower than half the page, so the excluded box can start below it.
    y = assessed.bottom + ROW_GAP_PX / 2
    excluded = Box(excluded_x, y, excluded_width, _height(excluded_lines), excluded_lines)
    y = excluded.bottom + ROW_GAP_PX / 2
    randomized_lines = _wrap([_count("Randomized", flow.randomized)], centre_width)
    randomized = Box(middle - centre_width / 2, y, centre_width, _height(randomized_lines),
                     randomized_lines)  # fmt: skip
    enrolment_bottom = randomized.bottom
    y = randomized.bottom + ROW_GAP_PX * 1.5
    texts = [_arm_texts(arm) for arm in flow.arms]
    xs = [left + (arms_width - (len(flow.arms) * BOX_PX + (len(flow.arms) - 1) * GAP_PX)) / 2
          + i * (BOX_PX + GAP_PX) for i in range(len(flow.arms))]  # fmt: skip
    rows: list[list[Box]] = []
    stage_spans: list[tuple[float, float]] = []
    for stage in range(3):
        wrapped = [_wrap(t[stage], BOX_PX) for t in texts]
        height = max((_height(w) for w in wrapped), default=_height(("",)))
        rows.append([Box(x, y, BOX_PX, height, w) for x, w in zip(xs, wrapped, strict=True)])
        stage_spans.append((y, y + height))
        y += height + ROW_GAP_PX
    columns = tuple((rows[0][i], rows[1][i], rows[2][i]) for i in range(len(flow.arms)))
    stages = (
        ("Enrolment", MARGIN_PX, enrolment_bottom),
        ("Allocation", *stage_spans[0]),
        ("Follow-up", *stage_spans[1]),
        ("Analysis", *stage_spans[2]),
    )
    return Layout(
        width=left + arms_width + MARGIN_PX,
        height=y - ROW_GAP_PX + MARGIN_PX,
        assessed=assessed,
        excluded=excluded,
        randomized=randomized,
        columns=columns,
        stages=stages,
    )


def _box_svg(box: Box, css_class: str = "box") -> str:
    parts = [
        f'<rect class="{css_class}" x="{box.x:.1f}" y="{box.y:.1f}" '
        f'width="{box.width:.1f}" height="{box.height:.1f}" rx="3"/>'
    ]
    for i, line in enumerate(box.lines):
        weight = ' font-weight="bold"' if i == 0 else ""
        baseline = box.y + PAD_PX + LINE_PX * (i + 1) - 4.0
        parts.append(
            f'<text x="{box.x + PAD_PX:.1f}" y="{baseline:.1f}"{weight} '
            f'xml:space="preserve">{escape(line)}</text>'
        )
    return "".join(parts)


def _arrow(x1: float, y1: float, x2: float, y2: float, head: bool = True) -> str:
    marker = ' marker-end="url(#consort-arrow)"' if head else ""
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"{marker}/>'


def consort_svg(flow: Flow) -> str:
    """The CONSORT flow diagram of ``flow`` as an ``<svg>`` element.

    >>> flow = Flow(assessed=30, excluded={"declined": 2}, randomized=28, arms=[
    ...     ArmFlow("mmf", "MMF + IVIg", 14, withdrawn={"adverse event": 1}, analysed=14),
    ...     ArmFlow("placebo", "Placebo + IVIg", 14, analysed=14)])
    >>> svg = consort_svg(flow)
    >>> svg.startswith("<svg"), "Assessed for eligibility (n\u00a0=\u00a030)" in svg
    (True, True)
    """
    plan = layout(flow)
    a, e, r = plan.assessed, plan.excluded, plan.randomized
    middle = a.centre_x
    lines = [
        _arrow(middle, a.bottom, middle, r.y),
        _arrow(middle, e.y + e.height / 2, e.x, e.y + e.height / 2),
    ]
    if plan.columns:
        split = r.bottom + ROW_GAP_PX * 0.75
        lines.append(_arrow(middle, r.bottom, middle, split, head=False))
        centres = [column[0].centre_x for column in plan.columns]
        lines.append(_arrow(min(centres), split, max(centres), split, head=False))
        for allocation, follow_up, analysis in plan.columns:
            x = allocation.centre_x
            lines.append(_arrow(x, split, x, allocation.y))
            lines.append(_arrow(x, allocation.bottom, x, follow_up.y))
            lines.append(_arrow(x, follow_up.bottom, x, analysis.y))
    stages = []
    for label, top, bottom in plan.stages:
        stages.append(
            f'<rect class="stage" x="{MARGIN_PX:.1f}" y="{top:.1f}" width="{STAGE_PX:.1f}" '
            f'height="{bottom - top:.1f}" rx="4"/>'
            f'<text class="stage-label" x="{MARGIN_PX + STAGE_PX / 2:.1f}" '
            f'y="{(top + bottom) / 2 + 4:.1f}" text-anchor="middle">{escape(label)}</text>'
        )
    boxes = [_box_svg(box) for box in plan.boxes()]
    # Inline in an HTML page a <style> applies to the whole page: every rule is scoped.
    style = (
        f"svg.consort text{{font-family:{FONT_FAMILY};font-size:{FONT_PX:g}px;fill:#111}}"
        "svg.consort .box{fill:#fff;stroke:#222;stroke-width:1.2}"
        "svg.consort .stage{fill:#d9e8f5;stroke:#6b8fb3;stroke-width:1}"
        "svg.consort .stage-label{font-weight:bold;fill:#1d3f63}"
        "svg.consort line{stroke:#222;stroke-width:1.2}"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="consort" role="img" '
        f'aria-label="CONSORT flow diagram" width="{plan.width:.0f}" height="{plan.height:.0f}" '
        f'viewBox="0 0 {plan.width:.1f} {plan.height:.1f}">'
        f"<title>CONSORT flow diagram</title>"
        f"<style>{style}</style>"
        '<defs><marker id="consort-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#222"/></marker></defs>'
        + "".join(stages)
        + "".join(lines)
        + "".join(boxes)
        + "</svg>"
    )


__all__ = ["ArmFlow", "Box", "Flow", "Layout", "consort_svg", "layout"]
