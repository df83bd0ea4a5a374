"""The vial sizes a site's pharmacy stocks, and how far a dispensed dose may be from the
engine's: one setting per site (table ``site_vials``, revision 0006), read by the engine
panel to give the dose in whole vials (:func:`mmntrial.measures.vials.dispense`).

It is set with ``mmntrial study vials --site S --sizes 5,10,20 --tolerance 5`` by
whoever sets the study up, as the sites and the allocation list are: a pharmacy's stock
changes rarely, and a setting that changes every patient's dispensed dose belongs with
the study's setup, not on a page any signed-in role opens. Changing it needs a reason;
both the first setting and every change are audited.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection, select

from mmntrial.capture import audit
from mmntrial.capture.accounts import site_id
from mmntrial.capture.tables import site_vials
from mmntrial.errors import CaptureError, MeasureError
from mmntrial.measures.vials import SiteVials


def parsed_sizes(text: str) -> list[float]:
    """``5,10,20`` as numbers; a :class:`CaptureError` naming ``--sizes`` otherwise.

    >>> parsed_sizes("2.5, 5,10")
    [2.5, 5.0, 10.0]
    >>> parsed_sizes("5,5")
    Traceback (most recent call last):
    ...
    mmntrial.errors.CaptureError: --sizes: got '5,5', with 5 g given twice, expected each ...
    """
    try:
        sizes = [float(part) for part in text.split(",")]
    except ValueError:
        raise CaptureError(
            f"--sizes: got {text!r}, expected vial sizes in grams, comma-separated (5,10,20)"
        ) from None
    # A size typed twice is most likely a slip for another size (5,5 for 5,50): refused,
    # not quietly merged into one.
    twice = sorted({size for size in sizes if sizes.count(size) > 1})
    if twice:
        shown = ", ".join(f"{size:g}" for size in twice)
        raise CaptureError(
            f"--sizes: got {text!r}, with {shown} g given twice, expected each vial size once"
        )
    return sizes


def checked_vials(sizes: list[float], tolerance_percent: float) -> SiteVials:
    """The setting checked by :class:`SiteVials`; a :class:`CaptureError` naming the option."""
    try:
        return SiteVials(tuple(sizes), tolerance_percent)
    except MeasureError as error:
        option = "--tolerance" if str(error).startswith("tolerance") else "--sizes"
        raise CaptureError(f"{option}: {error}") from None


def set_vials(conn: Connection, site: str, vials: SiteVials, who: str, reason: str | None) -> bool:
    """Store ``vials`` as the setting of ``site``; True when it was its first.

    A change of an existing setting needs ``reason`` (refused naming ``reason``).
    """
    site_key = site_id(conn, site, "--site")
    values = {
        "sizes_json": json.dumps(list(vials.sizes_g)),
        "tolerance_percent": vials.tolerance_percent,
    }
    saved = conn.execute(select(site_vials.c.id).where(site_vials.c.site_id == site_key)).first()
    if saved is None:
        audit.insert(conn, site_vials, {"site_id": site_key, **values}, who)
        return True
    audit.update(conn, site_vials, int(saved[0]), values, who, reason)
    return False


def vials_of(conn: Connection, site: str) -> SiteVials | None:
    """The vial setting of ``site``, or None when none was set."""
    row = (
        conn.execute(
            select(site_vials.c.sizes_json, site_vials.c.tolerance_percent).where(
                site_vials.c.site_id == site_id(conn, site)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    return SiteVials(tuple(json.loads(row["sizes_json"])), row["tolerance_percent"])
