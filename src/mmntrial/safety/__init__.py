"""Safety rules as data: grading tables of lab values, for every part that grades.

A layer beside :mod:`mmntrial.engine` and :mod:`mmntrial.randomization`: it imports only
:mod:`mmntrial.errors`, :mod:`mmntrial.measures` and :mod:`mmntrial.protocol`, and is used
by the simulator, the analysis and, later, the capture app.

- :mod:`~mmntrial.safety.tables`: grading tables read from data files shipped in this
  package (``ctcae-v5.toml``: CTCAE v5.0 [S50]), checked on first use.
- :mod:`~mmntrial.safety.grading`: the grade of a value, or of an array of values.
"""

from mmntrial.safety.grading import grade, grade_array
from mmntrial.safety.tables import GradingTable, LabGrading, ctcae_v5, parse_grading_table

__all__ = [
    "GradingTable",
    "LabGrading",
    "ctcae_v5",
    "grade",
    "grade_array",
    "parse_grading_table",
]
