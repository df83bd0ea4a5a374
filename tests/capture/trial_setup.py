"""Enrolled, assessed patients and the study's allocation list, for the capture tests."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

from mmntrial.capture import allocation, demographics, eligibility, screening
from mmntrial.capture.study import load_study
from mmntrial.randomization.design import design_from_protocol
from mmntrial.randomization.lists import AllocationList, generate
from mmntrial.randomization.slots import slots_of
from mmntrial.storage import Database
from tests.capture.conftest import SITES, WHO

SCREENED = "2026-11-20"
TODAY = date(2026, 12, 1)

#: A definite conduction block with normal sensory conduction: definite MMN [S5].
DEFINITE_SEGMENT = {
    "nerve": "median",
    "segment": "forearm",
    "distal_area_mv_ms": 10.0,
    "proximal_area_mv_ms": 4.0,
    "distal_amplitude_mv": 5.0,
    "proximal_amplitude_mv": 2.0,
    "distal_duration_ms": 5.0,
    "proximal_duration_ms": 5.5,
    "distal_amplitude_lln_mv": 4.0,
    "long_upper_limb_segment": True,
    "entrapment_site": False,
    "sensory_conduction_normal": True,
}

CLINICAL = {
    "focal_asymmetric_weakness": True,
    "affected_nerves": 3,
    "weakness_months": 14,
    "objective_sensory_abnormality": False,
    "predominant_upper_limb": True,
    "reduced_reflexes": True,
    "no_cranial_nerves": True,
    "cramps_fasciculations": False,
    "immunomodulation_response": True,
    "upper_motor_neuron_signs": False,
    "marked_bulbar_involvement": False,
    "diffuse_symmetric_weakness": False,
}

EXCLUSION_IDS = ("pregnancy", "immunosuppressant", "umn_signs", "neutropenia", "active_infection")


def assessment(**change: Any) -> dict[str, Any]:
    """An assessment of definite MMN with no exclusion (as the API takes it), changed."""
    data: dict[str, Any] = {
        "assessed_on": "2026-11-25",
        "exclusions": dict.fromkeys(EXCLUSION_IDS, False),
        "clinical": dict(CLINICAL),
        "supportive": {
            "anti_gm1": True,
            "csf_protein": False,
            "mri_plexus": False,
            "ivig_improvement": True,
        },
        "sensory_conduction_normal": True,
        "segments": [dict(DEFINITE_SEGMENT)],
        "age_years": 52,
        "sex": "F",
    }
    data = copy.deepcopy(data)
    data.update(change)
    return data


def enrol(conn: Any, site: str, screening_id: str) -> int:
    """An enrolled screening entry at ``site``; its id."""
    entry = screening.checked_screening(
        {
            "screening_id": screening_id,
            "screened_on": SCREENED,
            "outcome": "enrolled",
            "consent_version": "v1",
            "consent_date": SCREENED,
        },
        {},
        TODAY,
    )
    return screening.record(conn, site, entry, WHO)


def enrol_eligible(conn: Any, site: str, screening_id: str) -> int:
    """An enrolled screening entry assessed eligible, age and sex recorded; its id."""
    entry = enrol(conn, site, screening_id)
    protocol = load_study(conn).protocol
    data = assessment()
    checked = eligibility.checked_assessment(data, protocol, date.fromisoformat(SCREENED), TODAY)
    eligibility.record(conn, entry, checked, WHO, None)
    demographics.record(conn, site, entry, demographics.checked_demographics(data), WHO, None)
    return entry


def study_list(conn: Any, size: int = 10, seed: int = 20261201) -> AllocationList:
    """Generate the study's list (centre = the sites), store its slots; return the key."""
    protocol = load_study(conn).protocol
    design = design_from_protocol(protocol.arms, protocol.randomization, {"centre": list(SITES)})
    key = generate(design, size, seed=seed)
    allocation.check_list(slots_of(key), protocol, list(SITES))
    allocation.store_list(conn, slots_of(key), WHO)
    return key


def with_list(target: str | Path, size: int = 10) -> AllocationList:
    """Store a list in the study at ``target``; return its key."""
    with Database.open(target) as db, db.write() as conn:
        return study_list(conn, size)
