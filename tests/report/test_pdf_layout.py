"""The PDF's page breaks, judged from WeasyPrint's laid-out pages (issue 13, item 5).

No table row is split over two pages; a table's header sits with its first rows; no
heading or caption ends a page (it stays with what follows); no page holds only a few
lines. The checks read the boxes of ``weasyprint.HTML(...).render().pages``, not the CSS.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from mmntrial.report.pdf import pdf_unavailable_reason

REASON = pdf_unavailable_reason()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(REASON is not None, reason=f"no PDF here: {REASON}"),
]
BLOCKS = ("h1", "h2", "h3", "caption", "p", "tr", "figure", "li", "pre", "dt", "dd")
# A page whose text and figures end above this share of its height holds "a few lines".
MIN_FILL = 0.25


@dataclass(frozen=True)
class Block:
    """A block-level element's box on a page: its tag, element, table and header role."""

    tag: str
    element: Any
    table: Any  # the element of the table it is in, or None
    header: bool  # a row of a table's header (repeated on each page)


@dataclass
class Page:
    """What one laid-out page holds, in document order, and how far down it is filled."""

    blocks: list[Block] = field(default_factory=list)
    fill: float = 0.0


def _walk(box: Any, table: Any = None, header: bool = False) -> Iterator[tuple[Any, Any, bool]]:
    from weasyprint.formatting_structure import boxes

    yield box, table, header
    if isinstance(box, boxes.TableBox):
        table = box.element
    header = header or (isinstance(box, boxes.TableRowGroupBox) and box.is_header)
    for child in getattr(box, "children", None) or ():
        if not isinstance(child, boxes.MarginBox):  # the page number, not content
            yield from _walk(child, table, header)


def laid_out(page_html: str) -> list[Page]:
    """Each page of the PDF WeasyPrint makes of ``page_html``."""
    import weasyprint
    from weasyprint.formatting_structure import boxes

    pages = []
    for rendered in weasyprint.HTML(string=page_html).render().pages:
        page_box = rendered._page_box  # WeasyPrint's layout tree of the page
        top = page_box.content_box_y()
        bottom = top
        page = Page()
        for box, table, header in _walk(page_box):
            if isinstance(box, boxes.LineBox | boxes.ReplacedBox):
                bottom = max(bottom, box.position_y + box.margin_height())
            tag = getattr(box, "element_tag", None)
            element = getattr(box, "element", None)
            if tag in BLOCKS and (not page.blocks or page.blocks[-1].element is not element):
                page.blocks.append(Block(tag, element, table, header))
        page.fill = (bottom - top) / page_box.height
        pages.append(page)
    return pages


def faults(pages: list[Page]) -> list[str]:
    """Every page-break fault of a laid-out document, in words."""
    found = []
    rows: dict[int, list[int]] = {}  # a body row -> the pages it is on
    header_page: dict[int, int] = {}  # a table -> the page its header is first on
    first_rows: dict[int, list[int]] = {}  # a table -> the pages of its first two rows
    for number, page in enumerate(pages, start=1):
        for block in page.blocks:
            if block.tag != "tr":
                continue
            table = id(block.table)
            if block.header:
                header_page.setdefault(table, number)
                continue
            pages_of_row = rows.setdefault(id(block.element), [])
            if not pages_of_row and len(first_rows.setdefault(table, [])) < 2:
                first_rows[table].append(number)
            pages_of_row.append(number)
        last = page.blocks[-1] if page.blocks else None
        if last is not None and number < len(pages) and last.tag in ("h1", "h2", "h3", "caption"):
            found.append(
                f"page {number} ends with a {last.tag}: {''.join(last.element.itertext())!r}"
            )
        if page.fill < MIN_FILL:
            found.append(f"page {number} holds only a few lines ({page.fill:.0%} of it)")
    found += [f"a table row is split over pages {p}" for p in rows.values() if len(p) > 1]
    found += [
        f"a table's header is on page {header_page[table]}, its first rows on pages {got}"
        for table, got in first_rows.items()
        if table in header_page and set(got) != {header_page[table]}
    ]
    return found


def test_the_checks_find_the_faults_of_plain_css() -> None:
    # Break rules switched off: long rows split, a heading is left above a tall figure.
    plain = (
        "<style>@page { size: A6; margin: 10mm } "
        "* { break-inside: auto; break-after: auto }</style>"
    )
    figure = "<h2>A heading</h2><figure><svg width='200' height='300'></svg></figure>"
    rows = f"<tr><td>{'word ' * 60}</td></tr>" * 4
    table = f"<table><thead><tr><th>A</th></tr></thead><tbody>{rows}</tbody></table>"
    found = faults(laid_out(plain + "<p>text</p>" * 12 + figure))
    assert any("ends with a h2" in f for f in found)
    found = faults(laid_out(plain + "<p>text</p>" * 10 + table))
    assert any("split over pages" in f for f in found)
    assert any("header is on page 1, its first rows on pages [1, 2]" in f for f in found)
    found = faults(laid_out(plain + "<p>text</p>" * 14))
    assert found == ["page 2 holds only a few lines (4% of it)"]


@pytest.mark.parametrize("which", ["report_html", "simulated_html"])
def test_the_report_pdf_breaks_pages_well(which: str, request: pytest.FixtureRequest) -> None:
    pages = laid_out(request.getfixturevalue(which))
    assert len(pages) > 3
    assert faults(pages) == []
