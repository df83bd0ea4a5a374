"""The normal-range grading rules as a Markdown table (docs/safety.md holds it; a test
compares), so the page a reviewer reads is the table the code grades with.

>>> print(rules_table().splitlines()[2])
| `neutrophils` | Neutrophil count decreased | 10^9/L | < LLN | < 1.5 | < 1.0 | < 0.5 |
"""

from __future__ import annotations

from mmntrial.safety.bands import MAX_LAB_GRADE
from mmntrial.safety.tables import GradingTable, ctcae_v5


def rules_table(table: GradingTable | None = None) -> str:
    """One row per lab of ``table``'s ``ranged`` rules: term, units, the edge of each grade.

    A cell reads "a value of this grade is below (<) or above (>) this edge"; an empty
    cell is a grade the value alone never gives (anaemia's grade 4).
    """
    rules = (table or ctcae_v5()).ranged
    grades = range(1, MAX_LAB_GRADE + 1)
    lines = [
        "| lab | CTCAE term | units | " + " | ".join(f"grade {g}" for g in grades) + " |",
        "|---|---|---|" + "---|" * MAX_LAB_GRADE,
    ]
    for name, rule in rules.items():
        sign = "<" if rule.direction == "low" else ">"
        cells = [f"{sign} {edge}" for edge in rule.edges]
        cells += [""] * (MAX_LAB_GRADE - len(cells))
        units = ", ".join(rule.units)
        lines.append(f"| `{name}` | {rule.term} | {units} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


__all__ = ["rules_table"]
