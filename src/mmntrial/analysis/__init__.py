"""Statistical tests of the analysis plan, as pure functions returning result objects.

Each test takes plain arrays (one value per subject or per observation) and the arm
labels, checks them, and returns a :class:`TestResult` (or, for safety, a
:class:`SafetySummary`) that renders as text, a DataFrame and HTML. The report formats
these objects and never recomputes a number.
"""

from mmntrial.analysis.binary import (
    compare_proportions,
    compare_proportions_counts,
    newcombe_interval,
    wilson_interval,
)
from mmntrial.analysis.linear import ancova, mixed_model
from mmntrial.analysis.ranks import (
    ShiftEstimate,
    compare_ranks,
    hodges_lehmann_location,
    hodges_lehmann_shift,
    signed_rank,
)
from mmntrial.analysis.result import TestResult
from mmntrial.analysis.safety import SafetySummary, safety_summary
from mmntrial.analysis.survival import KaplanMeierCurve, kaplan_meier, log_rank
from mmntrial.analysis.titre import log2_titre_change
from mmntrial.errors import AnalysisError, ModelFitError

__all__ = [
    "AnalysisError",
    "KaplanMeierCurve",
    "ModelFitError",
    "SafetySummary",
    "ShiftEstimate",
    "TestResult",
    "ancova",
    "compare_proportions",
    "compare_proportions_counts",
    "compare_ranks",
    "hodges_lehmann_location",
    "hodges_lehmann_shift",
    "kaplan_meier",
    "log2_titre_change",
    "log_rank",
    "mixed_model",
    "newcombe_interval",
    "safety_summary",
    "signed_rank",
    "wilson_interval",
]
