"""A participant's lab schedule: the samples the protocol's schedule makes due, and which
were taken, are open, upcoming or missed, on the study's today.

The schedule (``[safety.lab_schedule]``) counts from the study-drug start, taken as day
0 (randomization) as the protocol's regimens start on day 0; the status of each due
sample is :func:`mmntrial.safety.lab_schedule.schedule_status` over the participant's
lab records. A protocol without a schedule has no lab visits.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, select

from mmntrial.capture.allocation import participant
from mmntrial.capture.tables import labs
from mmntrial.protocol.model import Protocol
from mmntrial.safety.lab_schedule import DueSample, schedule_status


def lab_visits(
    conn: Connection, protocol: Protocol, site: str, subject: str, today: date
) -> list[DueSample]:
    """Each due lab sample of ``subject`` with its status on ``today`` (none without a
    schedule)."""
    schedule = protocol.safety.lab_schedule
    if schedule is None:
        return []
    row = participant(conn, site, subject)
    sampled = [
        (test, date.fromisoformat(on))
        for test, on in conn.execute(
            select(labs.c.test, labs.c.sampled_on).where(labs.c.participant_id == row["id"])
        )
    ]
    return schedule_status(schedule, date.fromisoformat(row["randomized_on"]), sampled, today)


__all__ = ["lab_visits"]
