"""Safety rules as data: grading tables of lab values, for every part that grades.

A layer beside :mod:`mmntrial.engine` and :mod:`mmntrial.randomization`: it imports only
:mod:`mmntrial.errors`, :mod:`mmntrial.measures` and :mod:`mmntrial.protocol`, and is used
by the simulator, the analysis and, later, the capture app.

- :mod:`~mmntrial.safety.tables`: grading tables read from data files shipped in this
  package (``ctcae-v5.toml``: CTCAE v5.0 [S50]), checked on first use.
- :mod:`~mmntrial.safety.grading`: the grade of a value, or of an array of values, by
  the fixed edges of ``labs`` (data without a normal range).
- :mod:`~mmntrial.safety.bands`: grade bands relative to the normal range (``ranged``).
- :mod:`~mmntrial.safety.normal_range`: the grade of a value given its lab's LLN, ULN
  and unit, or why it cannot be graded.
- :mod:`~mmntrial.safety.medications`: prohibited and cautioned medications
  (``medications.toml``) and whether a medication, by name or ATC code, is on the list.
- :mod:`~mmntrial.safety.describe`: those rules as the Markdown table of docs/safety.md.
- :mod:`~mmntrial.safety.rules`: the protocol's ``[safety]`` rules evaluated on one
  participant's labs, adverse events and infusions: fired, or what is missing to judge.
- :mod:`~mmntrial.safety.lab_schedule`: the study drug's lab schedule as due dates, and
  which samples were taken, are open or were missed.
"""

from mmntrial.safety.bands import RangeRule
from mmntrial.safety.grading import grade, grade_array
from mmntrial.safety.normal_range import (
    UNGRADABLE,
    Graded,
    Ungradable,
    grade_array_in_range,
    grade_in_range,
)
from mmntrial.safety.tables import GradingTable, LabGrading, ctcae_v5, parse_grading_table

__all__ = [
    "UNGRADABLE",
    "Graded",
    "GradingTable",
    "LabGrading",
    "RangeRule",
    "Ungradable",
    "ctcae_v5",
    "grade",
    "grade_array",
    "grade_array_in_range",
    "grade_in_range",
    "parse_grading_table",
]
