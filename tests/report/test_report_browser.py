"""The HTML report in a real headless Chromium: every section and figure is there and visible.

Chromium comes from Debian (``scripts/system-deps``), driven through Playwright's Python
API with ``executable_path``; Playwright never downloads a browser of its own here.
The test is skipped only when ``/usr/bin/chromium`` is missing.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from mmntrial.report.html import SECTION_IDS
from mmntrial.report.write import ReportPaths

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FIGURE_IDS = ("fig-consort", "fig-dose-intensity", "fig-measures", "fig-km")
VIEWPORT = {"width": 1200, "height": 900}

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is missing: run `sudo bash scripts/system-deps` to install Chromium",
)


@pytest.fixture(scope="module")
def page(html_report: ReportPaths) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            # Self-contained means no request leaves the file: every non-file URL fails the test.
            requests: list[str] = []
            context.on("request", lambda request: requests.append(request.url))
            tab = context.new_page()
            tab.goto(html_report.html.resolve().as_uri(), wait_until="load")
            yield tab
            assert [url for url in requests if not url.startswith("file://")] == []
        finally:
            browser.close()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def test_full_page_screenshot_is_a_png_of_the_whole_report(page: Page, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    width, height = _png_size(data)
    assert width == VIEWPORT["width"]
    # Seven sections and four figures: far taller than one screen.
    assert height > 4 * VIEWPORT["height"]
    assert len(data) > 100_000


@pytest.mark.parametrize("section", SECTION_IDS)
def test_every_section_is_present_and_visible(page: Page, section: str) -> None:
    locator = page.locator(f"section#{section}")
    assert locator.count() == 1
    assert locator.is_visible()
    box = locator.bounding_box()
    assert box is not None
    assert box["width"] > 300
    assert box["height"] > 50
    heading = locator.locator("h2")
    assert heading.is_visible()


@pytest.mark.parametrize("figure", FIGURE_IDS)
def test_every_figure_svg_is_rendered_with_a_real_size(page: Page, figure: str) -> None:
    svg = page.locator(f"figure#{figure} > svg")
    assert svg.count() == 1
    assert svg.is_visible()
    box = svg.bounding_box()
    assert box is not None
    assert box["width"] > 300
    assert box["height"] > 150
    # Drawn, not empty: the SVG holds painted shapes and its caption is visible.
    assert svg.locator("path, rect, line").count() > 5
    assert page.locator(f"figure#{figure} > figcaption").is_visible()


def test_sections_come_in_the_documented_order(page: Page) -> None:
    tops = [page.locator(f"section#{s}").bounding_box()["y"] for s in SECTION_IDS]
    assert tops == sorted(tops)


def test_consort_counts_are_rendered_as_text(page: Page) -> None:
    text = page.locator("figure#fig-consort").text_content() or ""
    collapsed = " ".join(text.replace("\u00a0", " ").split())
    for expected in ("Assessed for eligibility (n = 8)", "Randomized (n = 6)", "Analysed (n = 3)"):
        assert expected in collapsed


def test_the_figures_fit_the_page_width(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORT["width"]
