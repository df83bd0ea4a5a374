"""``results.json``: every number of the report's result tables, for a machine to read.

A journal, a meta-analysis or a check by hand wants the numbers without scraping the
HTML. The record holds the plan's settings, the primary endpoint per arm and its one
test, the supportive test, the sensitivity rows, the secondary endpoints with their raw
and adjusted p-values and conclusions, the descriptive mixed models and the CONSORT
counts, each result by its internal name AND its label, its numbers at full precision
(``null`` for a number the test could not give) and as the report prints them. Its
provenance says what it was made from: the dataset's content hash
(:func:`mmntrial.report.reproduce.dataset_hash`), the protocol's name, version and
content hash (:func:`mmntrial.simulate.provenance.protocol_hash`) and the software
version. The layout is documented in docs/report.md.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from mmntrial import __version__
from mmntrial.analysis.estimand import SensitivityRow
from mmntrial.analysis.multiplicity import Adjusted
from mmntrial.analysis.plan import PlanResults
from mmntrial.analysis.result import PERCENT, format_p
from mmntrial.dataset.schema import Dataset
from mmntrial.protocol.model import Protocol
from mmntrial.report.reproduce import HASH_NAME
from mmntrial.report.shown import Shown, screening_reason, shown_results
from mmntrial.simulate.provenance import protocol_hash

RESULTS_NAME = "results.json"
FORMAT = "mmntrial trial results"
FORMAT_VERSION = 1


def _number(value: float) -> float | None:
    """A float for JSON: NaN and infinities (a test not performed) become null."""
    return None if math.isnan(value) or math.isinf(value) else float(value)


def _result(shown: Shown) -> dict[str, Any]:
    result = shown.result
    return {
        "name": result.name,
        "label": shown.label,
        "test": result.test,
        "estimate_label": result.estimate_label,
        "estimate": _number(result.estimate),
        "ci_low": _number(result.ci_low),
        "ci_high": _number(result.ci_high),
        "ci_level": result.ci_level,
        "interval_method": result.interval_method,
        "p_value": _number(result.p_value),
        "n_per_arm": dict(result.n_per_arm),
        "unit": shown.unit.suffix,
        "unit_scale": shown.unit.scale,
        "shown": {
            "estimate": shown.estimate(),
            "interval": shown.interval(),
            "p": format_p(result.p_value),
        },
        "notes": list(result.notes),
    }


def _secondary(shown: Shown, adjusted: Adjusted) -> dict[str, Any]:
    return {
        **_result(shown),
        "adjusted_p": _number(adjusted.adjusted_p),
        "claimed": adjusted.claimed,
        "conclusion": adjusted.conclusion,
    }


def _sensitivity(row: SensitivityRow, shown: Shown) -> dict[str, Any]:
    return {
        "case": row.case,
        "handling": row.handling,
        "reached": dict(row.reached),
        "n": dict(row.n),
        "result": _result(shown),
    }


def _reasons(counts: Mapping[str, int], protocol: Protocol) -> list[dict[str, Any]]:
    return [
        {"reason": reason, "label": screening_reason(reason, protocol), "n": n}
        for reason, n in counts.items()
    ]


def _primary_by_arm(plan: PlanResults, protocol: Protocol) -> list[dict[str, Any]]:
    table = plan.endpoints
    rows = []
    for arm in protocol.arms:
        in_arm = table["arm"] == arm.name
        reached = int(table.loc[in_arm, "reached"].astype(bool).sum())
        n = int(in_arm.sum())
        rows.append(
            {
                "arm": arm.name,
                "label": arm.label,
                "reached": reached,
                "n": n,
                "percent": PERCENT.value(100.0 * reached / n) if n else None,
            }
        )
    return rows


def results_record(
    dataset: Dataset, protocol: Protocol, plan: PlanResults, *, digest: str
) -> dict[str, Any]:
    """The content of ``results.json`` for the report of ``dataset`` under ``protocol``.

    ``digest`` is the dataset's content hash (the report computes it once).
    """
    shown = shown_results(plan, protocol)
    endpoints = protocol.endpoints
    consort = plan.consort
    meta = dataset.meta
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "provenance": {
            "software_version": __version__,
            "dataset_hash": digest,
            "dataset_hash_method": HASH_NAME,
            "dataset_source": meta.source,
            "dataset_seed": meta.seed,
            "dataset_created_utc": meta.created_utc,
            "protocol": protocol.name,
            "protocol_version": protocol.version,
            "protocol_hash": protocol_hash(protocol),
        },
        "plan": {
            "primary_test": endpoints.primary.test.value,
            "alpha": endpoints.alpha,
            "sidedness": endpoints.sidedness.value,
            "multiplicity": endpoints.multiplicity.value,
            "treatment": plan.treatment,
            "control": plan.control,
            "statement": plan.plan_statement,
            "estimand": plan.estimand,
        },
        "primary": {
            "name": plan.primary.name,
            "label": endpoints.primary.shown_label(),
            "reduction_percent": endpoints.primary.reduction_percent,
            "day": endpoints.primary.day,
            "withdrawal": endpoints.primary.withdrawal.value,
            "by_arm": _primary_by_arm(plan, protocol),
            "result": _result(shown.primary),
            "conclusion": plan.primary_conclusion,
        },
        "supportive": _result(shown.supportive),
        "sensitivity": [
            _sensitivity(row, s) for row, s in zip(plan.sensitivity, shown.sensitivity, strict=True)
        ],
        "secondary": [
            _secondary(s, adjusted)
            for s, adjusted in zip(shown.secondary, plan.secondary_adjusted, strict=True)
        ],
        "mixed_models": [_result(s) for s in shown.mixed_models],
        "consort": {
            "assessed": consort.assessed,
            "excluded": _reasons(consort.excluded, protocol),
            "randomized": consort.randomized,
            "allocated": dict(consort.allocated),
            "completed": dict(consort.completed),
            "ongoing": dict(consort.ongoing),
            "left_early": {
                arm: _reasons(consort.withdrawn.get(arm, {}), protocol) for arm in consort.arms
            },
            "analysed": dict(consort.analysed),
        },
    }


def results_json(record: Mapping[str, Any]) -> str:
    """``record`` as the file's text: sorted keys would lose the reading order, so the
    order is the record's; strict JSON (no NaN), UTF-8 text kept."""
    return json.dumps(record, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


__all__ = ["FORMAT", "FORMAT_VERSION", "RESULTS_NAME", "results_json", "results_record"]
