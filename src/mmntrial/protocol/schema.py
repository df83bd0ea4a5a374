"""The protocol file's schema: every key, its type, its default and its meaning.

The reader (:mod:`mmntrial.protocol.reader`) validates a file against :data:`ROOT`, and
the test of docs/protocol.md walks :func:`schema_rows`, so every key is declared once,
here. Contradictions between keys (the taper starting after the last visit, ...) are
not schema matters: they live in :mod:`mmntrial.protocol.checks`.

>>> rows = {row.key: row for row in schema_rows()}
>>> rows["taper.start_day"].type_text
'integer >= 0'
>>> rows["taper.step_percent"].requirement
'required when taper.mode = "percent_step"; not allowed otherwise'
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum

from mmntrial.measures.catalogue import MEASURES, Worse
from mmntrial.protocol.model import (
    AfterDeterioration,
    Cadence,
    Combine,
    Reference,
    SideRule,
    TaperMode,
    Unrepeated,
    WithdrawalRule,
)
from mmntrial.protocol.spec import (
    SLUG,
    SLUG_TEXT,
    Kind,
    SchemaRow,
    Spec,
    choice,
    flag,
    integer,
    listing,
    name,
    number,
    rows,
    table,
    tables,
    text,
)

MEASURE_NAMES = tuple(sorted(MEASURES))


def _values(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


def criterion_fields(what: str) -> dict[str, Spec]:
    """The keys of one deterioration (or rescue) criterion."""
    return {
        "measure": choice(
            f"the measure {what} watches (from the measure catalogue)", MEASURE_NAMES
        ),
        "threshold": number(
            "the change, in the measure's unit, that counts (drop or rise of at least this)",
            minimum=0,
            min_open=True,
        ),
        "direction": choice(
            "the direction that counts as worse; must be the catalogue's", _values(Worse)
        ),
        "reference": choice("the value the latest assessment is compared with", _values(Reference)),
        "side": choice(
            "which sides must show the drop; required for a measure taken per side (grip), "
            "not allowed for others",
            _values(SideRule),
            required=False,
        ),
    }


_TAPER_MODE = "mode"
_CRITERIA = "criteria"

ROOT = table(
    "the whole protocol file",
    {
        "protocol": table(
            "what the protocol is and where its values come from",
            {
                "name": name("short name, used on the command line (--protocol NAME)"),
                "title": text(
                    "one-line title", pattern=r".*\S.*", pattern_text="a non-empty title"
                ),
                "version": text(
                    "version of this protocol text",
                    pattern=r"\S+",
                    pattern_text="a version without spaces",
                ),
                "description": text(
                    "free text: the design in a few sentences", required=False, default=""
                ),
                "sources": listing(
                    "DOMAIN.md source tags the values come from",
                    text(
                        "a source tag", pattern=r"S[0-9]+", pattern_text="a source tag such as 'S1'"
                    ),
                    required=False,
                    default=[],
                ),
            },
        ),
        "arms": tables(
            "the treatment arms, one [[arms]] table each",
            {
                "name": name("short arm name, unique"),
                "label": text(
                    "label for reports", pattern=r".*\S.*", pattern_text="a non-empty label"
                ),
                "drug": text(
                    "study drug added to IVIg ('placebo' for placebo)",
                    pattern=r".*\S.*",
                    pattern_text="a non-empty drug name",
                ),
                "ratio": integer(
                    "allocation weight (2 and 1 give 2:1)", minimum=1, required=False, default=1
                ),
                "regimen": tables(
                    "study-drug regimen steps, in increasing from_day, the first on day 0",
                    {
                        "from_day": integer("study day the step starts", minimum=0),
                        "dose_mg": number("dose per administration, mg (0 for placebo)", minimum=0),
                        "times_per_day": integer(
                            "administrations on a dosing day", minimum=1, maximum=24
                        ),
                        "every_days": integer(
                            "dosing days are every this many days (1 = daily, 14 = every 2 weeks)",
                            minimum=1,
                            required=False,
                            default=1,
                        ),
                    },
                    min_items=1,
                ),
            },
            min_items=2,
        ),
        "eligibility": table(
            "who may enter the trial",
            {
                "efns_categories": listing(
                    "EFNS/PNS 2010 diagnostic categories admitted",
                    choice("an EFNS/PNS category", ("definite", "probable", "possible")),
                    min_items=1,
                ),
                "ivig_response_required": flag("only patients who responded to IVIg"),
                "stable_maintenance_months": integer(
                    "months on a stable IVIg regimen before entry", minimum=0
                ),
                "age_min_years": integer("minimum age, years", minimum=0, maximum=120),
                "age_max_years": integer("maximum age, years", minimum=0, maximum=120),
                "ivig_interval_days_min": integer(
                    "shortest IVIg interval admitted, days", minimum=1
                ),
                "ivig_interval_days_max": integer(
                    "longest IVIg interval admitted, days", minimum=1
                ),
                "exclusions": tables(
                    "exclusion checklist answered at screening",
                    {
                        "id": name("short id, unique"),
                        "text": text(
                            "the question as the site reads it",
                            pattern=r".*\S.*",
                            pattern_text="a non-empty text",
                        ),
                    },
                    required=False,
                    default=[],
                ),
            },
        ),
        "schedule": table(
            "the visit schedule",
            {
                "visits": tables(
                    "scheduled visits, in strictly increasing day",
                    {
                        "name": text(
                            "visit name, unique",
                            pattern=r"\S+",
                            pattern_text="a name without spaces",
                        ),
                        "day": integer("study day (day 0 = randomization)", minimum=0),
                        "window_days": integer(
                            "allowed distance from the day, +/- days", minimum=0
                        ),
                        "measures": listing(
                            "measures collected at the visit (from the measure catalogue)",
                            choice("a catalogue measure", MEASURE_NAMES),
                            min_items=1,
                        ),
                    },
                    min_items=1,
                ),
            },
        ),
        "baseline": table(
            "the baseline IVIg intensity",
            {
                "n_infusions": integer(
                    "baseline = mean intensity of this many last pre-randomization infusions",
                    minimum=1,
                    maximum=12,
                ),
            },
        ),
        "taper": table(
            "how and when the IVIg dose is lowered",
            {
                "start_day": integer("study day of the first taper step", minimum=0),
                "mode": choice("how a step lowers the intensity", _values(TaperMode)),
                "cadence": choice("when a step is due", _values(Cadence)),
                "floor_percent": number(
                    "lowest intensity, percent of baseline", minimum=0, maximum=100, max_open=True
                ),
                "after_deterioration": choice(
                    "what the taper does after a confirmed deterioration",
                    _values(AfterDeterioration),
                ),
                "step_percent": number(
                    "percent of baseline removed per step",
                    minimum=0,
                    maximum=100,
                    min_open=True,
                    only_when=(_TAPER_MODE, (TaperMode.PERCENT_STEP.value,)),
                ),
                "levels_percent": listing(
                    "levels to walk down, percent of baseline, strictly decreasing",
                    number("a level", minimum=0, maximum=100, max_open=True),
                    min_items=1,
                    only_when=(_TAPER_MODE, (TaperMode.LEVELS.value,)),
                ),
                "interval_step_days": integer(
                    "days added to the infusion interval per step",
                    minimum=1,
                    only_when=(_TAPER_MODE, (TaperMode.INTERVAL.value,)),
                ),
                "max_interval_days": integer(
                    "longest infusion interval the taper may reach, days",
                    minimum=1,
                    only_when=(_TAPER_MODE, (TaperMode.INTERVAL.value,)),
                ),
                "cadence_weeks": integer(
                    "weeks between steps",
                    minimum=1,
                    only_when=("cadence", (Cadence.EVERY_N_WEEKS.value,)),
                ),
                "resume_after_weeks": integer(
                    "stable weeks after a restore before tapering again",
                    minimum=1,
                    only_when=(
                        "after_deterioration",
                        (AfterDeterioration.RESTORE_AND_RESUME.value,),
                    ),
                ),
                "rescue": table(
                    "a one-off rescue dose when a severe criterion fires",
                    {
                        "dose_g_per_kg": number(
                            "rescue IVIg dose, g/kg", minimum=0, maximum=4, min_open=True
                        ),
                        _CRITERIA: tables(
                            "severe criteria; any one fires the rescue",
                            criterion_fields("the rescue criterion"),
                            min_items=1,
                        ),
                    },
                    required=False,
                ),
            },
        ),
        "deterioration": table(
            "the deterioration rule",
            {
                "combine": choice(
                    "how criteria combine into one verdict",
                    _values(Combine),
                    required=False,
                    default="any",
                ),
                "confirmation_days": integer(
                    "days within which a repeat assessment must confirm a drop (0 = none)",
                    minimum=0,
                ),
                "unrepeated": choice(
                    "what a drop never re-assessed in the window counts as",
                    _values(Unrepeated),
                    required=False,
                    default=Unrepeated.COUNTS.value,
                ),
                _CRITERIA: tables(
                    "deterioration criteria", criterion_fields("the criterion"), min_items=1
                ),
            },
        ),
        "endpoints": table(
            "the primary and secondary endpoints",
            {
                "primary": table(
                    "success = intensity reduced by at least reduction_percent at day",
                    {
                        "reduction_percent": number(
                            "reduction from baseline intensity that counts as success, percent",
                            minimum=0,
                            maximum=100,
                            min_open=True,
                        ),
                        "day": integer("study day the endpoint is judged", minimum=1),
                        "withdrawal": choice(
                            "how a withdrawal before the day counts", _values(WithdrawalRule)
                        ),
                    },
                ),
                "secondary": tables(
                    "secondary endpoints for the analysis plan",
                    {
                        "name": name("endpoint name, unique"),
                        "kind": choice(
                            "what is derived",
                            ("change", "time_to_deterioration", "ivig_grams_per_year"),
                        ),
                        "analysis": choice(
                            "the statistical test or model",
                            (
                                "ancova",
                                "mixed_model",
                                "wilcoxon",
                                "mann_whitney",
                                "logrank",
                                "fisher",
                            ),
                        ),
                        "measure": choice(
                            "the measure whose change from day 0 is taken",
                            MEASURE_NAMES,
                            only_when=("kind", ("change",)),
                        ),
                        "at_day": integer(
                            "the day of the change (a visit that collects the measure)",
                            minimum=0,
                            only_when=("kind", ("change",)),
                        ),
                    },
                    required=False,
                    default=[],
                ),
            },
        ),
        "randomization": table(
            "how subjects are allocated (the ratio is on the arms)",
            {
                "method": choice(
                    "allocation method", ("simple", "blocks", "stratified_blocks", "minimization")
                ),
                "block_sizes": listing(
                    "permuted block sizes, each a multiple of the sum of the arm ratios",
                    integer("a block size", minimum=1),
                    min_items=1,
                    only_when=("method", ("blocks", "stratified_blocks")),
                ),
                "strata": listing(
                    "stratification factors",
                    name("a stratification factor"),
                    min_items=1,
                    only_when=("method", ("stratified_blocks",)),
                ),
                "minimization": table(
                    "Pocock-Simon minimization",
                    {
                        "imbalance": choice("imbalance measure", ("range", "variance")),
                        "p_preferred": number(
                            "probability of the arm that minimizes imbalance",
                            minimum=0.5,
                            maximum=1,
                            min_open=True,
                        ),
                        "factor_weights": Spec(
                            Kind.MAP,
                            "factor name = weight (> 0), one per minimization factor",
                            item=number("a factor weight", minimum=0, min_open=True),
                            pattern=SLUG,
                            pattern_text=SLUG_TEXT,
                            min_items=1,
                        ),
                    },
                    only_when=("method", ("minimization",)),
                ),
            },
        ),
        "measures": table(
            "how the measures are taken",
            {
                "mrc_muscles": listing(
                    "muscle groups scored on each side for the MRC sum",
                    name("a muscle group"),
                    min_items=1,
                ),
                "mrc_quarter_steps": flag(
                    "accept 4-/4/4+ as 3.75/4/4.25 rather than 4.0", required=False, default=False
                ),
                "mrc_missing": choice(
                    "a missing muscle makes the sum missing, or the last value is carried",
                    ("missing", "impute_last"),
                    required=False,
                    default="missing",
                ),
                "functional_scale": choice(
                    "the functional (disability) scale", ("gnds", "onls", "irods", "mmn_rods")
                ),
            },
        ),
    },
)


def schema_rows() -> Iterator[SchemaRow]:
    """Every key the loader accepts, depth first, in file order.

    >>> next(schema_rows()).key
    'protocol'
    """
    return rows(ROOT)


__all__ = ["ROOT", "SchemaRow", "schema_rows"]
