"""The confirmation visit: the repeat assessment a drop awaits, as a visit of its own.

When the engine waits for a repeat (a drop seen, not yet confirmed), the participant
needs a visit outside the schedule, within the window of
:class:`mmntrial.engine.calendar.ConfirmationVisit`. It is recorded and filled in as any
visit (tables ``visits`` and ``assessments``), under a name that says which drop it
repeats: ``repeat-YYYY-MM-DD``, the date of the drop. One name per drop keeps the
repeats of two drops apart (a visit and its measures are stored once per name), and the
dataset's visit for all of them is ``repeat`` (docs/dataset.md): :func:`dataset_visit`.

Its form asks for the measures of the protocol's deterioration criteria (what a repeat
can confirm); the engine reads it on the date it was recorded as done, like any visit.
"""

from __future__ import annotations

from datetime import date

from mmntrial.protocol.model import Protocol, Visit

REPEAT = "repeat"
_PREFIX = REPEAT + "-"


def repeat_name(drop_on: date) -> str:
    """The visit name of the repeat of the drop seen on ``drop_on``.

    >>> repeat_name(date(2026, 5, 17))
    'repeat-2026-05-17'
    """
    return _PREFIX + drop_on.isoformat()


def drop_of(name: str) -> date | None:
    """The drop date a repeat visit's name holds; None for any other name.

    >>> drop_of("repeat-2026-05-17"), drop_of("M3"), drop_of("repeat-soon")
    (datetime.date(2026, 5, 17), None, None)
    """
    if not name.startswith(_PREFIX):
        return None
    try:
        return date.fromisoformat(name.removeprefix(_PREFIX))
    except ValueError:
        return None


def dataset_visit(name: str) -> str:
    """The visit as the dataset names it: ``repeat`` for every repeat, else the name.

    >>> dataset_visit("repeat-2026-05-17"), dataset_visit("M3")
    ('repeat', 'M3')
    """
    return REPEAT if drop_of(name) is not None else name


def repeat_visit(protocol: Protocol, name: str) -> Visit | None:
    """The form of repeat visit ``name``: the criteria's measures, once each (None if
    ``name`` is no repeat). Its day and window are the engine's, not the schedule's."""
    if drop_of(name) is None:
        return None
    measures = dict.fromkeys(c.measure for c in protocol.deterioration.criteria)
    return Visit(name=name, day=0, window_days=0, measures=tuple(measures))
