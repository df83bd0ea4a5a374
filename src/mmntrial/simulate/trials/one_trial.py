"""One simulated trial as a full dataset, in the schema the data-capture app exports.

:func:`simulate_one_trial` runs the same code as :func:`~mmntrial.simulate.trials.run_trials`
(the same draws, the same loop) for one trial, with a recorder that writes down every
assessment, infusion, engine change and withdrawal; so its summary equals run_trials'
row for the same seed and place. What only a dataset needs (screening failures, adverse
events other than those that change the course, laboratory values, kit codes) comes
from a separate stream of the same trial (``spawn_key + (1,)``) and cannot change the
course. The tables are documented in docs/dataset.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import mmntrial
from mmntrial.dataset.schema import LAB_UNITS, MEASURE_UNITS, Dataset, DatasetMeta
from mmntrial.engine import core
from mmntrial.engine.episodes import episodes
from mmntrial.engine.rules import compile_rules
from mmntrial.engine.states import Action
from mmntrial.measures.catalogue import measure_spec
from mmntrial.protocol.model import Protocol
from mmntrial.randomization.blinding import kit_code, kit_key
from mmntrial.simulate.pk.model import measured_igg
from mmntrial.simulate.population.model import Population
from mmntrial.simulate.provenance import dataset_record, protocol_hash
from mmntrial.simulate.trials.course import run_course
from mmntrial.simulate.trials.lab_samples import lab_samples
from mmntrial.simulate.trials.lab_values import COLUMNS, lab_values
from mmntrial.simulate.trials.patients import Patients
from mmntrial.simulate.trials.runner import check_arguments, draw_chunk, summarize_trials
from mmntrial.simulate.trials.safety_rows import adverse_events
from mmntrial.units import Floats, Ints

Rows = list[dict[str, Any]]


class _Recorder:
    """Collects the rows of the event tables as the loop reports them."""

    def __init__(self, protocol: Protocol, patients: Patients, subject_ids: list[str]) -> None:
        self.protocol, self.patients, self.ids = protocol, patients, subject_ids
        self.rules = compile_rules(protocol)
        self.assessments: Rows = []
        self.infusions: Rows = []
        self.deteriorations: Rows = []
        self.igg_exogenous: list[tuple[int, int, float]] = []
        self.withdrawn: dict[int, int] = {}

    def assessment(
        self, rows: Ints, day: Floats, visit: Ints, values: dict[str, Floats], exogenous: Floats
    ) -> None:
        visits = self.protocol.schedule.visits
        watched = {key.split(":")[0] for key in self.rules.series}
        for p in rows.tolist():
            name = visits[visit[p]].name if visit[p] >= 0 else "repeat"
            measures = visits[visit[p]].measures if visit[p] >= 0 else tuple(sorted(watched))
            for measure in measures:
                if measure not in MEASURE_UNITS or not _simulated(measure, values):
                    continue
                sides = ("left", "right") if measure_spec(measure).bilateral else (None,)
                for side in sides:
                    key = f"{measure}:{side}" if side else measure
                    self.assessments.append(
                        {
                            "subject_id": self.ids[p],
                            "visit": name,
                            "day": int(day[p]),
                            "measure": measure,
                            "side": side,
                            "value": float(values[key][p]),
                            "unit": MEASURE_UNITS[measure],
                        }
                    )
            if visit[p] >= 0:
                self.igg_exogenous.append((p, int(day[p]), float(exogenous[p])))

    def infusion(self, rows: Ints, day: Floats, decision: core.Decision) -> None:
        for p in rows.tolist():
            self.infusions.append(
                {
                    "subject_id": self.ids[p],
                    "day": int(day[p]),
                    "dose_g": float(decision.dose_g[p]),
                    "weight_kg": round(float(self.patients.weight_kg[p]), 1),
                    "interval_days": int(decision.interval_days[p]),
                    "product": "IVIg",
                    "route": "IV",
                    "action": Action(int(decision.action[p])).label,
                    "level": int(decision.level[p]),
                }
            )

    def engine_change(self, day: Floats, before: core.EngineState, after: core.EngineState) -> None:
        # Every confirmed episode: taper failures and episodes at the full baseline dose.
        for episode in episodes(self.rules, day, before, after):
            self.deteriorations.append(episode.row(self.ids[episode.patient]))

    def withdrawal(self, rows: Ints, day: Floats) -> None:
        for p in rows.tolist():
            self.withdrawn[p] = int(day[p])


def _simulated(measure: str, values: dict[str, Floats]) -> bool:
    return any(key.split(":")[0] == measure for key in values)


@dataclass(frozen=True)
class OneTrial:
    """A simulated trial: its dataset and its row of :func:`run_trials`' table."""

    dataset: Dataset
    summary: pd.DataFrame


def simulate_trial(
    protocol: Protocol,
    population: Population,
    *,
    effect: float,
    seed: int,
    n_per_arm: int | None = None,
    trial_index: int = 0,
    created_utc: str = "1970-01-01T00:00:00Z",
) -> OneTrial:
    """Trial ``trial_index`` of ``run_trials(..., seed=seed)``, whatever its chunk size.

    ``created_utc`` goes into ``dataset.json``; the default keeps the function free of
    the clock (the command line passes the real time).
    """
    check_arguments(effect=effect, seed=seed, n_per_arm=n_per_arm, trial_index=trial_index)
    size = population.trial.n_per_arm if n_per_arm is None else n_per_arm
    patients, noise = draw_chunk(
        protocol,
        population,
        seed=seed,
        trials=range(trial_index, trial_index + 1),
        n_per_arm=size,
    )
    ids, sites = _subject_ids(patients)
    recorder = _Recorder(protocol, patients, ids)
    outcome = run_course(protocol, population, patients, noise, effect, recorder)
    summary = summarize_trials(protocol, patients.trial, patients.arm, outcome, 1, trial_index)
    extra = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(trial_index, 1)))
    frames = _tables(
        protocol, population, patients, recorder, ids, sites, outcome.follow_up_days, extra
    )
    meta = DatasetMeta(
        protocol=protocol.name,
        source="simulated",
        created_utc=created_utc,
        software_version=mmntrial.__version__,
        seed=seed,
        notes=(
            f"mmntrial simulate: population {population.name}, effect {effect:g}, "
            f"trial {trial_index}, n_per_arm {size}"
        ),
        protocol_sha256=protocol_hash(protocol),
        provenance=dataset_record(
            protocol, population, seed=seed, trial=trial_index, n_per_arm=size, effect=effect
        ),
    )
    return OneTrial(Dataset.from_frames(meta, frames, protocol), summary)


def simulate_one_trial(
    protocol: Protocol,
    population: Population,
    *,
    effect: float,
    seed: int,
    n_per_arm: int | None = None,
) -> Dataset:
    """One whole simulated trial as a :class:`~mmntrial.dataset.schema.Dataset`.

    It is trial 0 of ``run_trials(protocol, population, effect=effect, seed=seed, ...)``;
    :func:`simulate_trial` gives any other trial and its summary row.

    >>> from mmntrial.protocol.loader import load_protocol
    >>> from mmntrial.simulate.population import load_population
    >>> data = simulate_one_trial(load_protocol("piepers-2007"), load_population("mmn-default"),
    ...                           effect=0.0, seed=1)
    >>> len(data.subjects), sorted(data.subjects["arm"].unique())
    (28, ['mmf', 'placebo'])
    """
    return simulate_trial(
        protocol, population, effect=effect, seed=seed, n_per_arm=n_per_arm
    ).dataset


def _subject_ids(patients: Patients) -> tuple[list[str], list[str]]:
    sites = [f"S{int(s) + 1:02d}" for s in patients.site]
    counters: dict[str, int] = {}
    ids = []
    for site in sites:
        counters[site] = counters.get(site, 0) + 1
        ids.append(f"{site}-{counters[site]:03d}")
    return ids, sites


def _tables(
    protocol: Protocol,
    population: Population,
    patients: Patients,
    recorder: _Recorder,
    ids: list[str],
    sites: list[str],
    follow_up: Floats,
    rng: np.random.Generator,
) -> dict[str, pd.DataFrame]:
    n_baseline = protocol.baseline.n_infusions
    pre: Rows = []
    first_day = []
    for p in range(patients.n):
        interval = int(patients.interval_days[p])
        days = [
            int(patients.first_infusion_day[p]) - k * interval for k in range(n_baseline, 0, -1)
        ]
        first_day.append(days[0])
        for day in days:
            pre.append(
                {
                    "subject_id": ids[p],
                    "day": day,
                    "dose_g": float(patients.dose_g[p]),
                    "weight_kg": round(float(patients.weight_kg[p]), 1),
                    "interval_days": interval,
                    "product": "IVIg",
                    "route": "IV",
                    "action": None,
                    "level": None,
                }
            )
    key = kit_key(int(rng.integers(2**62)))
    arms = [a.name for a in protocol.arms]
    subjects = pd.DataFrame(
        {
            "subject_id": ids,
            "site": sites,
            "arm": [arms[a] for a in patients.arm],
            "kit_code": [kit_code(key, f"centre={s}", i + 1) for i, s in enumerate(sites)],
            "age_years": np.round(patients.age_years, 1),
            "sex": np.where(patients.male, "M", "F"),
            "weight_kg": np.round(patients.weight_kg, 1),
            "efns_category": np.where(patients.definite, "definite", "probable"),
            "anti_gm1_status": np.where(patients.gm1_positive, "positive", "negative"),
            "baseline_dose_g": patients.dose_g,
            "baseline_interval_days": patients.interval_days.astype(np.int64),
            "baseline_intensity_g_per_kg_week": patients.intensity_g_per_kg_week,
        }
    )
    igg_rows = recorder.igg_exogenous
    igg_index = np.array([p for p, _, _ in igg_rows], dtype=np.intp)
    measured = measured_igg(
        population.pk, patients.pk.take(igg_index), np.array([c for _, _, c in igg_rows]), rng
    )
    igg = [
        {
            "subject_id": ids[p],
            "day": day,
            "test": "igg",
            "value": round(float(v), 1),
            "unit": LAB_UNITS["igg"],
            "lln": None,
            "uln": None,
            "grade": None,
        }
        for (p, day, _), v in zip(igg_rows, measured, strict=True)
    ]
    events = adverse_events(population, patients, follow_up, rng)
    screening = _screening(protocol, population, ids, sites, first_day, rng)
    randomized = screening.dropna(subset=["subject_id"]).set_index("subject_id")
    screening_day = randomized["screening_day"].reindex(ids).to_numpy(dtype=np.int64)
    visits = [(p, day) for p, day, _ in igg_rows]
    samples = lab_samples(protocol, patients, visits, follow_up, screening_day)
    dispositions = []
    for p in range(patients.n):
        left = recorder.withdrawn.get(p)
        if left is None:
            dispositions.append(
                {
                    "subject_id": ids[p],
                    "status": "completed",
                    "day": int(follow_up[p]),
                    "reason": None,
                }
            )
            continue
        stopped = patients.discontinuation_day[p] <= patients.dropout_day[p]
        status = (
            "lost_to_follow_up" if not stopped and patients.lost_to_follow_up[p] else "withdrawn"
        )
        reason = {"withdrawn": "withdrew consent", "lost_to_follow_up": "lost to follow-up"}[status]
        dispositions.append(
            {
                "subject_id": ids[p],
                "status": status,
                "day": left,
                "reason": "adverse event: study drug discontinued" if stopped else reason,
            }
        )
    return {
        "screening": screening,
        "subjects": subjects,
        "infusions": pd.DataFrame(pre + recorder.infusions),
        "assessments": pd.DataFrame(recorder.assessments),
        "deteriorations": pd.DataFrame(recorder.deteriorations),
        "adverse_events": pd.DataFrame([{**e, "subject_id": ids[e["subject_id"]]} for e in events]),
        "labs": _stacked(
            pd.DataFrame(igg, columns=list(COLUMNS)),
            lab_values(population.labs, patients, samples, ids, rng),
        ),
        "dispositions": pd.DataFrame(dispositions),
    }


def _stacked(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``first`` then ``second``, as objects: the dataset converts the dtypes
    (pd.concat would guess them from IgG's all-null ranges, and warns that it will not)."""
    return pd.DataFrame(
        {
            name: np.concatenate(
                [first[name].to_numpy(dtype=object), second[name].to_numpy(dtype=object)]
            )
            for name in first.columns
        }
    )


def _screening(
    protocol: Protocol,
    population: Population,
    ids: list[str],
    sites: list[str],
    first_day: list[int],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Screened people in order: each excluded, declined, or the next randomized subject."""
    excluded = population.trial.screening_excluded_fraction
    declined = population.trial.screening_declined_fraction
    reasons = [item.id for item in protocol.eligibility.exclusions] or ["not eligible"]
    rows: Rows = []
    for subject, site, day in zip(ids, sites, first_day, strict=True):
        screening_day = day - int(rng.integers(0, 15))
        while True:
            u = rng.random()
            number = f"SCR-{len(rows) + 1:04d}"
            if u < excluded:
                reason = f"exclusion: {reasons[int(rng.integers(len(reasons)))]}"
                rows.append(
                    {
                        "screening_id": number,
                        "site": site,
                        "screening_day": screening_day,
                        "outcome": "excluded",
                        "reason": reason,
                        "subject_id": None,
                    }
                )
            elif u < min(excluded + declined, 0.99):
                rows.append(
                    {
                        "screening_id": number,
                        "site": site,
                        "screening_day": screening_day,
                        "outcome": "declined",
                        "reason": "declined participation",
                        "subject_id": None,
                    }
                )
            else:
                rows.append(
                    {
                        "screening_id": number,
                        "site": site,
                        "screening_day": screening_day,
                        "outcome": "randomized",
                        "reason": None,
                        "subject_id": subject,
                    }
                )
                break
    return pd.DataFrame(rows)


__all__ = ["OneTrial", "simulate_one_trial", "simulate_trial"]
