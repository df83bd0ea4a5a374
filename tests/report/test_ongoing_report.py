"""The report of an interim look: an ongoing subject before the primary day is not yet
evaluable, so it is neither in the primary endpoint's "reached / n" nor shown as left early."""

from __future__ import annotations

from mmntrial.analysis.plan import run_plan
from mmntrial.dataset.schema import Dataset
from mmntrial.protocol.loader import load_protocol
from mmntrial.report.write import build_context, consort_flow
from tests.dataset.factory import make_frames

PROTOCOL = load_protocol("piepers-2007")


def _s03_ongoing() -> Dataset:
    # The factory's S03 (mmf) left on day 180; here it is still in the trial on that day.
    meta, frames = make_frames()
    dispositions = frames["dispositions"]
    row = dispositions["subject_id"] == "S03"
    dispositions.loc[row, "status"] = "ongoing"
    dispositions.loc[row, "reason"] = None
    return Dataset.from_frames(meta, frames, protocol=PROTOCOL)


def test_reached_per_arm_and_consort_leave_the_ongoing_subject_out() -> None:
    dataset = _s03_ongoing()
    plan = run_plan(dataset, PROTOCOL)
    context = build_context(dataset, PROTOCOL, plan, digest="d", pdf_note="")
    rows = {(row.label, row.reached, row.n) for row in context.primary_by_arm}
    assert ("Mycophenolate mofetil + IVIg", 1, 2) in rows
    assert ("Placebo + IVIg", 2, 3) in rows
    mmf = consort_flow(plan.consort, {"mmf": "MMF", "placebo": "Placebo"}).arms[0]
    assert (mmf.allocated, mmf.analysed, dict(mmf.withdrawn)) == (3, 2, {})
    assert dict(mmf.excluded_from_analysis) == {"ongoing, not yet evaluable": 1}
