"""The dose-held variant: a built-in protocol whose taper never lowers the dose."""

from __future__ import annotations

import pytest

from mmntrial.protocol.loader import builtin_names, load_protocol
from mmntrial.protocol.model import TaperMode
from mmntrial.protocol.variants import HELD_PERCENT, dose_held


@pytest.mark.parametrize("name", builtin_names())
def test_the_variant_holds_the_dose_and_keeps_the_rest(name: str) -> None:
    original, held = load_protocol(name), dose_held(name)
    assert held.taper.mode is TaperMode.LEVELS
    assert held.taper.dose_levels_percent() == (100.0, HELD_PERCENT)
    # Everything a patient meets besides the dose is the protocol's own.
    assert held.taper.start_day == original.taper.start_day
    assert held.taper.restore_to is original.taper.restore_to
    for section in ("arms", "schedule", "deterioration", "endpoints", "randomization"):
        assert getattr(held, section) == getattr(original, section)
    assert held.name == f"{name}-dose-held"
    assert held.taper.dose_levels_percent() != original.taper.dose_levels_percent()
