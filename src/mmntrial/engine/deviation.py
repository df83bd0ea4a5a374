"""An override of the engine: a dose the investigator gives instead of the engine's.

The investigator accepts the panel's dose (:mod:`mmntrial.engine.panel`) or gives
another one with a reason; the other one is a protocol deviation, recorded with the dose
the protocol recommended, the dose given, why, who and when. Who and when come from the
caller (the capture app's signed-in user and its clock): this module reads no clock.

The protocol's dose is what the site dispenses by the protocol's rule: the vial amount of
the panel when there is one, else the engine's exact dose. Giving that dose is accepting
it, not an override, and is refused here. So is an override without a reason.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from datetime import datetime

from mmntrial.engine.panel import Panel
from mmntrial.errors import EngineError
from mmntrial.identifiers import checked_identifier
from mmntrial.measures.ivig import MAX_DOSE_G_PER_KG, MAX_INTERVAL_DAYS

MAX_REASON_LENGTH = 2000
_SAME_G = 1e-9  # doses closer than this are the same dose (no pharmacy tells them apart)


def _checked_reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise EngineError(
            f"reason: got {reason!r}, expected why the dose given differs from the "
            "engine's (an override needs a reason)"
        )
    if len(reason) > MAX_REASON_LENGTH:
        raise EngineError(
            f"reason: got {len(reason)} characters, expected at most {MAX_REASON_LENGTH}"
        )
    return reason.strip()


@dataclass(frozen=True)
class ProtocolDeviation:
    """A dose given instead of the protocol's, with why, who and when.

    ``protocol_dose_g`` and ``protocol_interval_days`` are what the protocol recommended
    (None when it recommended no dose: a withdrawn participant); ``engine_dose_g`` the
    engine's exact dose before rounding to vials. ``at`` is timezone-aware.
    """

    subject: str
    day: int
    engine_dose_g: float | None
    protocol_dose_g: float | None
    protocol_interval_days: float | None
    given_dose_g: float
    given_interval_days: int
    reason: str
    by: str
    at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", _checked_reason(self.reason))
        object.__setattr__(self, "by", checked_identifier("by", self.by, EngineError))
        if not isinstance(self.at, datetime) or self.at.utcoffset() is None:
            raise EngineError(f"at: got {self.at!r}, expected a timezone-aware date and time (UTC)")

    def text(self) -> str:
        """The deviation in words, for the record and the monitor."""
        protocol = (
            "no dose"
            if self.protocol_dose_g is None
            else f"{self.protocol_dose_g:g} g every {self.protocol_interval_days:g} days"
        )
        return (
            f"Protocol deviation, {self.subject} day {self.day}: given {self.given_dose_g:g} g "
            f"every {self.given_interval_days} days instead of {protocol}; by {self.by} at "
            f"{self.at.isoformat()}: {self.reason}"
        )


def override(
    panel: Panel,
    *,
    given_dose_g: float,
    reason: str,
    by: str,
    at: datetime,
    given_interval_days: int | None = None,
) -> ProtocolDeviation:
    """Record ``given_dose_g`` (and ``given_interval_days``, by default the engine's)
    given instead of the panel's dose, as a protocol deviation.

    >>> from datetime import date, timezone
    >>> from mmntrial.engine.panel import engine_panel
    >>> from mmntrial.measures.history import PatientHistory
    >>> from mmntrial.measures.ivig import Infusion
    >>> from mmntrial.protocol.loader import load_protocol
    >>> given = tuple(Infusion(d, 40, 70, 28, "Kiovig", "IV") for d in range(-84, 112, 28))
    >>> panel = engine_panel(load_protocol("piepers-2007"), PatientHistory("P1", given),
    ...                      date(2026, 1, 15), date(2026, 5, 7), weight_kg=70)
    >>> at = datetime(2026, 5, 7, 9, 30, tzinfo=timezone.utc)
    >>> print(override(panel, given_dose_g=35, reason="patient asked for a lower dose",
    ...                by="dr.jansen", at=at).text())
    Protocol deviation, P1 day 112: given 35 g every 28 days instead of 40 g every 28 days;
    by dr.jansen at 2026-05-07T09:30:00+00:00: patient asked for a lower dose
    >>> override(panel, given_dose_g=35, reason="  ", by="dr.jansen", at=at)
    Traceback (most recent call last):
    ...
    mmntrial.errors.EngineError: reason: got '  ', expected why the dose given differs ...
    """
    record = panel.decision
    dispensed = panel.dispensed
    protocol_dose = (
        dispensed.amount_g if dispensed is not None and dispensed.amount_g is not None else None
    )
    if protocol_dose is None:
        protocol_dose = record.dose_g
    ceiling = MAX_DOSE_G_PER_KG * panel.weight_kg
    dose = float(given_dose_g) if isinstance(given_dose_g, numbers.Real) else math.nan
    if isinstance(given_dose_g, bool) or not 0.0 <= dose <= ceiling:
        raise EngineError(
            f"given_dose_g: got {given_dose_g!r}, expected 0 to {ceiling:g} g "
            f"({MAX_DOSE_G_PER_KG:g} g/kg at {panel.weight_kg:g} kg)"
        )
    if given_interval_days is None:
        if record.interval_days is None:
            raise EngineError(
                "given_interval_days: got none, expected the days until the next infusion "
                "(the protocol recommends no dose, so it has no interval to keep)"
            )
        interval = round(record.interval_days)
    elif (
        isinstance(given_interval_days, numbers.Integral)
        and not isinstance(given_interval_days, bool)
        and 1 <= int(given_interval_days) <= MAX_INTERVAL_DAYS
    ):
        interval = int(given_interval_days)
    else:
        raise EngineError(
            f"given_interval_days: got {given_interval_days!r}, expected whole days from 1 "
            f"to {MAX_INTERVAL_DAYS} (the days until the next infusion)"
        )
    same_dose = protocol_dose is not None and abs(dose - protocol_dose) <= _SAME_G
    if same_dose and interval == record.interval_days:
        raise EngineError(
            f"given_dose_g: got {given_dose_g!r} every {interval} days, the protocol's own "
            "dose: not an override; accept the engine's dose instead"
        )
    return ProtocolDeviation(
        subject=panel.subject,
        day=panel.day,
        engine_dose_g=record.dose_g,
        protocol_dose_g=protocol_dose,
        protocol_interval_days=record.interval_days,
        given_dose_g=dose,
        given_interval_days=interval,
        reason=reason,
        by=by,
        at=at,
    )


__all__ = ["MAX_REASON_LENGTH", "ProtocolDeviation", "override"]
