"""Overriding the engine: a dose given instead of the protocol's is a protocol deviation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from mmntrial.engine.deviation import ProtocolDeviation, override
from mmntrial.engine.panel import Panel, engine_panel
from mmntrial.errors import EngineError
from mmntrial.measures.vials import SiteVials
from tests.engine.builders import history, infusions, piepers

RANDOMIZED = date(2026, 1, 15)
AT = datetime(2026, 5, 7, 9, 30, tzinfo=UTC)
SITE = SiteVials((2.5, 5, 10, 20), tolerance_percent=10)


def panel(day: int = 112, **options: object) -> Panel:
    h = history(regimen=infusions(dose_g=41.0), withdrawal_day=options.pop("withdrawn", None))  # type: ignore[arg-type]
    today = RANDOMIZED + timedelta(days=day)
    return engine_panel(piepers(), h, RANDOMIZED, today, weight_kg=70.0, **options)  # type: ignore[arg-type]


def test_an_override_records_both_doses_the_reason_who_and_when() -> None:
    deviation = override(
        panel(vials=SITE), given_dose_g=35.0, reason=" tolerated badly ", by="dr.jansen", at=AT
    )
    assert deviation == ProtocolDeviation(
        subject="P1",
        day=112,
        engine_dose_g=30.75,
        protocol_dose_g=30.0,  # the vial amount the protocol's rounding dispenses
        protocol_interval_days=28.0,
        given_dose_g=35.0,
        given_interval_days=28,
        reason="tolerated badly",
        by="dr.jansen",
        at=AT,
    )
    assert "given 35 g every 28 days instead of 30 g every 28 days" in deviation.text()


@pytest.mark.parametrize("reason", ["", "   ", None, 42])
def test_an_override_without_a_reason_is_refused(reason: object) -> None:
    with pytest.raises(EngineError, match=r"^reason: got .*expected why"):
        override(panel(), given_dose_g=35.0, reason=reason, by="dr.jansen", at=AT)  # type: ignore[arg-type]


def test_giving_the_protocols_dose_is_no_override() -> None:
    with pytest.raises(EngineError, match=r"^given_dose_g: got 30.0 every 28 days"):
        override(panel(vials=SITE), given_dose_g=30.0, reason="x", by="dr.jansen", at=AT)
    with pytest.raises(EngineError, match="not an override"):
        override(panel(), given_dose_g=30.75, reason="x", by="dr.jansen", at=AT)


def test_the_engines_exact_dose_where_the_rounding_gives_another_is_an_override() -> None:
    deviation = override(panel(vials=SITE), given_dose_g=30.75, reason="x", by="a", at=AT)
    assert (deviation.engine_dose_g, deviation.protocol_dose_g) == (30.75, 30.0)


def test_the_same_dose_at_another_interval_is_an_override() -> None:
    deviation = override(
        panel(vials=SITE), given_dose_g=30.0, given_interval_days=21, reason="x", by="a", at=AT
    )
    assert (deviation.given_interval_days, deviation.protocol_interval_days) == (21, 28.0)


def test_a_dose_given_to_a_withdrawn_participant_is_an_override_with_its_interval() -> None:
    withdrawn = panel(withdrawn=100)
    deviation = override(
        withdrawn, given_dose_g=40.0, given_interval_days=28, reason="x", by="a", at=AT
    )
    assert deviation.protocol_dose_g is None
    assert "instead of no dose" in deviation.text()
    with pytest.raises(EngineError, match=r"^given_interval_days: got none"):
        override(withdrawn, given_dose_g=40.0, reason="x", by="a", at=AT)


@pytest.mark.parametrize("dose", [-1.0, 211.0, "35", True, float("nan")])
def test_a_bad_given_dose_is_refused_naming_the_field(dose: object) -> None:
    with pytest.raises(EngineError, match=r"^given_dose_g: got .*expected 0 to 210 g"):
        override(panel(), given_dose_g=dose, reason="x", by="a", at=AT)  # type: ignore[arg-type]


@pytest.mark.parametrize("interval", [0, 400, 21.5, "21", True])
def test_a_bad_given_interval_is_refused_naming_the_field(interval: object) -> None:
    with pytest.raises(EngineError, match=r"^given_interval_days: got .*expected whole days"):
        override(
            panel(),
            given_dose_g=35.0,
            given_interval_days=interval,
            reason="x",
            by="a",
            at=AT,  # type: ignore[arg-type]
        )


def test_who_and_when_are_checked() -> None:
    with pytest.raises(EngineError, match=r"^by: got ''"):
        override(panel(), given_dose_g=35.0, reason="x", by="", at=AT)
    with pytest.raises(EngineError, match=r"^at: got .*timezone-aware"):
        override(panel(), given_dose_g=35.0, reason="x", by="a", at=datetime(2026, 5, 7, 9, 30))


def test_a_reason_longer_than_the_record_takes_is_refused() -> None:
    with pytest.raises(EngineError, match=r"^reason: got 2001 characters, expected at most 2000"):
        override(panel(), given_dose_g=35.0, reason="x" * 2001, by="a", at=AT)
