"""A small, valid, deterministic trial dataset with a known truth (protocol piepers-2007).

2 sites, 8 screened (1 excluded, 1 declined), 6 randomized: S01, S03, S05 to ``mmf``;
S02, S04, S06 to ``placebo``. Infusions every 28 days from day -84 (baseline: days -84,
-56, -28); the taper starts at the first infusion after day 91 (day 112), 25% of the
baseline dose per infusion. Monthly assessments at the protocol's visit days.

The truth, per subject (baseline intensity = dose_g / weight_kg / 4 weeks):

====  =======  ======  =====  ========  ===================================  ==========
id    arm      weight  dose   baseline  regimen from day 112                 at day 365
====  =======  ======  =====  ========  ===================================  ==========
S01   mmf      70 kg   140 g  0.5       75, 50, 25%; deteriorates (182);     50%: 0.25
                                        restored to 50% from day 196
S02   placebo  80 kg   160 g  0.5       75, 50%; deteriorates (152);         75%: 0.375
                                        restored to 75% from day 168
S03   mmf      60 kg   120 g  0.5       75, 50, 25%; WITHDRAWN day 180       25%: 0.125
S04   placebo  70 kg   70 g   0.25      75, 50%; from 168 full dose every    0.125
                                        56 days (intensity halved)
S05   mmf      75 kg   150 g  0.5       75%; deteriorates (122); restored    100%: 0.5
                                        to 100% from day 140
S06   placebo  50 kg   100 g  0.5       75, 50, 25, 0%; deteriorates (213);  25%: 0.125
                                        restored to 25% from day 224
====  =======  ======  =====  ========  ===================================  ==========

Percent reductions at day 365: S01 50, S02 25, S03 75, S04 50, S05 0, S06 75. Primary
endpoint (>= 50%, withdrawal = failure): mmf 1/3 (S01), placebo 2/3 (S04, S06).
Deteriorations (detected / confirmed): S01 182/189, S02 152/160, S05 122/130,
S06 213/220; S03 censored at 180, S04 at 365.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mmntrial.dataset.schema import Dataset, DatasetMeta
from mmntrial.protocol.loader import load_protocol

VISIT_DAYS = {f"M{m}": d for m, d in enumerate((0, 30, 61, 91, 122, 152, 182, 213, 243, 274,
                                                 304, 335, 365))}  # fmt: skip
PRODUCT = "Kiovig"

# subject: arm, site, weight_kg, baseline dose_g, on-study regimen changes
# (day -> percent of baseline dose, interval_days, action, level), disposition day.
SUBJECTS: dict[str, dict[str, Any]] = {
    "S01": {"arm": "mmf", "site": "A", "weight": 70.0, "dose": 140.0, "last_day": 365,
            "steps": {112: (75, 28, "reduce", 1), 140: (50, 28, "reduce", 2),
                      168: (25, 28, "reduce", 3), 196: (50, 28, "restore", 2),
                      224: (50, 28, "hold", 2)}},
    "S02": {"arm": "placebo", "site": "A", "weight": 80.0, "dose": 160.0, "last_day": 365,
            "steps": {112: (75, 28, "reduce", 1), 140: (50, 28, "reduce", 2),
                      168: (75, 28, "restore", 1), 196: (75, 28, "hold", 1)}},
    "S03": {"arm": "mmf", "site": "A", "weight": 60.0, "dose": 120.0, "last_day": 180,
            "steps": {112: (75, 28, "reduce", 1), 140: (50, 28, "reduce", 2),
                      168: (25, 28, "reduce", 3)}},
    "S04": {"arm": "placebo", "site": "B", "weight": 70.0, "dose": 70.0, "last_day": 365,
            "steps": {112: (75, 28, "reduce", 1), 140: (50, 28, "reduce", 2),
                      168: (100, 56, "reduce", 2), 224: (100, 56, "hold", 2)}},
    "S05": {"arm": "mmf", "site": "B", "weight": 75.0, "dose": 150.0, "last_day": 365,
            "steps": {112: (75, 28, "reduce", 1), 140: (100, 28, "restore", 0),
                      168: (100, 28, "hold", 0)}},
    "S06": {"arm": "placebo", "site": "B", "weight": 50.0, "dose": 100.0, "last_day": 365,
            "steps": {112: (75, 28, "reduce", 1), 140: (50, 28, "reduce", 2),
                      168: (25, 28, "reduce", 3), 196: (0, 28, "reduce", 4),
                      224: (25, 28, "restore", 3), 252: (25, 28, "hold", 3)}},
}  # fmt: skip

# Values at day 0 and at the visit nearest day 91; left/right for grip.
MRC = {"S01": (88, 89), "S02": (90, 90), "S03": (80, 81), "S04": (85, 84), "S05": (92, 93),
       "S06": (78, 78)}  # fmt: skip
GRIP = {"S01": ((60, 45), (62, 48)), "S02": ((50, 70), (49, 72)), "S03": ((55, 55), (54, 57)),
        "S04": ((40, 52), (41, 50)), "S05": ((66, 58), (66, 61)),
        "S06": ((35, 47), (38, 47))}  # fmt: skip
GNDS_UPPER = {"S01": (2, 2), "S02": (1, 1), "S03": (2, 1), "S04": (1, 1), "S05": (2, 2),
              "S06": (3, 2)}  # fmt: skip
GM1 = {"S01": (8, 7), "S02": (6, 6), "S03": (9, None), "S04": (7, 8), "S05": (5, 4),
       "S06": (10, 10)}  # fmt: skip
# Confirmed deteriorations: detected at a scheduled visit, confirmed at a repeat visit.
EPISODES = {"S01": (182, 189), "S02": (152, 160), "S05": (122, 130), "S06": (213, 220)}
# Day of the month-3 visit, where it is not the nominal day 91.
M3_DAY = {"S05": 96, "S02": 88}


def _infusions() -> list[dict[str, Any]]:
    rows = []
    for sid, s in SUBJECTS.items():
        percent, interval, action, level = 100, 28, "baseline", 0
        day = -84
        while day <= s["last_day"]:
            if day in s["steps"]:
                percent, interval, action, level = s["steps"][day]
            elif day > 0 and action in ("reduce", "restore"):
                action = "hold"
            on_study = day >= 0
            rows.append({"subject_id": sid, "day": day,
                         "dose_g": s["dose"] * percent / 100, "weight_kg": s["weight"],
                         "interval_days": interval, "product": PRODUCT, "route": "IV",
                         "action": action if on_study else None,
                         "level": level if on_study else None})  # fmt: skip
            day += interval
    return rows


def _assessment_rows(sid: str, visit: str, day: int, worse: int, m3: bool) -> list[dict[str, Any]]:
    k = 1 if m3 else 0
    mrc = MRC[sid][k] - 3 * worse
    left, right = (g - 10 * worse for g in GRIP[sid][k])
    gnds = GNDS_UPPER[sid][k] + worse
    base = {"subject_id": sid, "visit": visit, "day": day}
    rows = [
        {**base, "measure": "mrc_sum", "side": None, "value": float(mrc), "unit": "points"},
        {**base, "measure": "grip_kpa", "side": "left", "value": float(left), "unit": "kPa"},
        {**base, "measure": "grip_kpa", "side": "right", "value": float(right), "unit": "kPa"},
        {**base, "measure": "gnds_upper", "side": None, "value": float(gnds), "unit": "grade"},
        {**base, "measure": "gnds_lower", "side": None, "value": 1.0, "unit": "grade"},
    ]
    gm1 = GM1[sid][0] if visit == "M0" else GM1[sid][1] if visit == "M12" else None
    if gm1 is not None:
        rows.append({**base, "measure": "anti_gm1_log2", "side": None, "value": float(gm1),
                     "unit": "log2_steps"})  # fmt: skip
    return rows


def _assessments() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for sid, s in SUBJECTS.items():
        detected, confirmed = EPISODES.get(sid, (None, None))
        for visit, nominal in VISIT_DAYS.items():
            day = M3_DAY.get(sid, nominal) if visit == "M3" else nominal
            if day > s["last_day"]:
                break
            # S02's M3 (day 88) reads lower; the unscheduled visit at day 93 is nearer 91.
            if sid == "S02" and visit == "M3":
                rows += _assessment_rows(sid, "M3", 88, 1, True)
                rows += _assessment_rows(sid, "unscheduled", 93, 0, True)
                continue
            rows += _assessment_rows(sid, visit, day, int(day == detected), visit == "M3")
        if confirmed is not None:
            rows += _assessment_rows(sid, "repeat", confirmed, 1, False)
    return rows


def make_frames(*, deteriorations: bool = True) -> tuple[DatasetMeta, dict[str, pd.DataFrame]]:
    """The factory dataset as metadata and loose frames, for tests that break a table."""
    meta = DatasetMeta(protocol="piepers-2007", source="simulated",
                       created_utc="2025-01-31T12:00:00Z", software_version="test", seed=1,
                       notes="tests/dataset/factory.py")  # fmt: skip
    screening = pd.DataFrame(
        [("SC01", "A", -90, "randomized", None, "S01"),
         ("SC02", "A", -80, "randomized", None, "S02"),
         ("SC03", "A", -75, "excluded", "neutropenia", None),
         ("SC04", "A", -70, "randomized", None, "S03"),
         ("SC05", "B", -88, "randomized", None, "S04"),
         ("SC06", "B", -85, "randomized", None, "S05"),
         ("SC07", "B", -60, "declined", "travel burden", None),
         ("SC08", "B", -50, "randomized", None, "S06")],
        columns=["screening_id", "site", "screening_day", "outcome", "reason", "subject_id"],
    )  # fmt: skip
    subjects = pd.DataFrame([
        {"subject_id": sid, "site": s["site"], "arm": s["arm"], "kit_code": f"K{i:03d}",
         "age_years": 40.0 + 3 * i, "sex": "MF"[i % 2], "weight_kg": s["weight"],
         "efns_category": "definite" if i % 3 else "probable",
         "anti_gm1_status": "positive" if i % 2 else "negative",
         "baseline_dose_g": s["dose"], "baseline_interval_days": 28,
         "baseline_intensity_g_per_kg_week": s["dose"] / s["weight"] / 4}
        for i, (sid, s) in enumerate(SUBJECTS.items(), start=1)
    ])  # fmt: skip
    episodes = pd.DataFrame(
        [{"subject_id": sid, "day_detected": d, "day_confirmed": c,
          "criteria": "grip_kpa:left,grip_kpa:right,mrc_sum,gnds_upper", "severe": False,
          "level_before": lb, "level_after": la, "at_baseline": False}
         for sid, (d, c), (lb, la) in zip(EPISODES, EPISODES.values(),
                                          ((3, 2), (2, 1), (1, 0), (4, 3)), strict=True)
         if deteriorations],
        columns=["subject_id", "day_detected", "day_confirmed", "criteria", "severe",
                 "level_before", "level_after", "at_baseline"],
    )  # fmt: skip
    adverse_events = pd.DataFrame(
        [("S01", "AE1", "diarrhoea", 20, 30, 1, False, "study_drug", "none"),
         ("S02", "AE2", "headache", 1, 2, 1, False, "ivig", "none"),
         ("S03", "AE3", "leukopenia", 175, None, 3, False, "study_drug", "discontinued"),
         ("S06", "AE4", "pneumonia", 250, 265, 3, True, "none", "interrupted")],
        columns=["subject_id", "ae_id", "term", "day_onset", "day_resolved", "grade", "serious",
                 "related_to", "action_taken"],
    )  # fmt: skip
    labs = pd.DataFrame(
        [(sid, 0, "neutrophils", 4.0, "10^9/L", 2.0, 7.5, 0) for sid in SUBJECTS]
        + [("S03", 175, "wbc", 1.8, "10^9/L", 4.0, 11.0, 3),
           ("S03", 175, "neutrophils", 0.9, "10^9/L", 2.0, 7.5, 3),
           ("S01", 91, "alt", 30.0, "U/L", None, 40.0, 0),
           ("S01", 91, "igg", 14.2, "g/L", None, None, None)],
        columns=["subject_id", "day", "test", "value", "unit", "lln", "uln", "grade"],
    )  # fmt: skip
    conmeds = pd.DataFrame(
        [("S02", "paracetamol", -30, None, "allowed"),
         ("S06", "prednisolone", 250, 260, "warning")],
        columns=["subject_id", "medication", "start_day", "end_day", "category"],
    )  # fmt: skip
    dispositions = pd.DataFrame(
        [(sid, "withdrawn" if s["last_day"] < 365 else "completed", s["last_day"],
          "adverse event (leukopenia)" if s["last_day"] < 365 else None)
         for sid, s in SUBJECTS.items()],
        columns=["subject_id", "status", "day", "reason"],
    )  # fmt: skip
    frames = {
        "screening": screening, "subjects": subjects,
        "infusions": pd.DataFrame(_infusions()), "assessments": pd.DataFrame(_assessments()),
        "deteriorations": episodes, "adverse_events": adverse_events, "labs": labs,
        "conmeds": conmeds, "dispositions": dispositions,
    }  # fmt: skip
    return meta, frames


def make_dataset(*, deteriorations: bool = True) -> Dataset:
    """The factory dataset (see the module docstring for its truth), validated.

    ``deteriorations=False`` empties the deteriorations table (a degenerate trial).
    """
    meta, frames = make_frames(deteriorations=deteriorations)
    return Dataset.from_frames(meta, frames, protocol=load_protocol("piepers-2007"))


__all__ = ["EPISODES", "SUBJECTS", "make_dataset", "make_frames"]
