"""A reader sees the protocol's labels, never its internal names (issue 13, item 5)."""

from __future__ import annotations

import html
import re

from mmntrial.dataset.schema import Dataset
from mmntrial.protocol.loader import load_protocol, parse_protocol
from mmntrial.protocol.model import Protocol
from mmntrial.protocol.serialize import protocol_to_dict


def visible_text(page: str) -> str:
    """What a reader reads: the page without its tags, attributes, style and code."""
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    page = re.sub(r"<(code|pre)>.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_no_internal_name_is_shown_to_a_reader(
    simulated: Dataset, simulated_html: str, piepers: Protocol
) -> None:
    reasons = " ".join(simulated.screening["reason"].dropna().astype(str))
    codes = [item.id for item in piepers.eligibility.exclusions if item.id in reasons]
    assert codes, "the simulated screening log should name exclusion criteria"
    measures = sorted({m for v in piepers.schedule.visits for m in v.measures})
    names = [e.name for e in piepers.endpoints.secondary] + ["mrc_sum_monthly", *measures]
    text = visible_text(simulated_html)
    shown = [n for n in [*names, *codes] if re.search(rf"\b{re.escape(n)}\b", text)]
    assert shown == []
    assert "exclusion:" not in text
    # The ids keep the names, for links and tests.
    assert 'id="result-mrc_sum_change_month3"' in simulated_html


def test_exclusions_read_as_the_protocols_text(simulated_html: str) -> None:
    text = " ".join(visible_text(simulated_html).split())
    assert "not eligible: Active serious infection, hepatitis B or C (n = 1)" in text
    assert "[S47]" not in text  # the protocol's source tags are not reasons


def test_labels_come_from_the_protocol(simulated_html: str, piepers: Protocol) -> None:
    text = " ".join(visible_text(simulated_html).split())
    for endpoint in piepers.endpoints.secondary:
        assert endpoint.label is not None
        assert endpoint.label in text
    assert "IVIg dose reduced by at least 50% at month 12" in text


def test_a_file_without_labels_gets_readable_ones(piepers: Protocol) -> None:
    data = protocol_to_dict(piepers)
    del data["endpoints"]["primary"]["label"]
    for endpoint in data["endpoints"]["secondary"]:
        del endpoint["label"]
    bare = parse_protocol(data, "test")
    assert bare.endpoints.primary.shown_label() == (
        "IVIg dose intensity reduced by at least 50% at day 365"
    )
    assert [e.shown_label() for e in bare.endpoints.secondary] == [
        "Change in MRC sum score at day 91",
        "Change in grip strength at day 91",
        "Change in GNDS upper limb at day 91",
        "Change in anti-GM1 IgM titre at day 365",
        "Time to first confirmed deterioration",
        "IVIg grams per year on study",
    ]


def test_every_builtin_protocol_states_its_labels() -> None:
    for name in ("piepers-2007", "cidp-levels", "interval-lengthening"):
        endpoints = load_protocol(name).endpoints
        assert endpoints.primary.label is not None, name
        assert all(e.label is not None for e in endpoints.secondary), name
