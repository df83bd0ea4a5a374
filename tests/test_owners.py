"""One owner per concept: calendar constants, array aliases, units, the intensity formula.

Each concept below is declared in one module and imported everywhere else, so that two
copies cannot drift apart. These tests read the package's source (an AST scan) and fail
when a second copy appears, naming the file and line to fix.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import mmntrial
from mmntrial import units
from mmntrial.dataset import schema
from mmntrial.measures.catalogue import MEASURES
from mmntrial.safety import ctcae_v5

PACKAGE = Path(mmntrial.__file__).resolve().parent
UNITS_MODULE = PACKAGE / "units.py"
CONSTANT = re.compile(r"DAYS_PER_\w+")


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield str(path.relative_to(PACKAGE.parent)), ast.parse(path.read_text(), str(path))


def _assigned_names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign | ast.AugAssign):
        targets = [node.target]
    else:
        return []
    return [t.id for t in targets if isinstance(t, ast.Name)]


def _is_array_type(value: ast.expr | None) -> bool:
    """``npt.NDArray[...]``, ``NDArray[...]`` or ``np.ndarray``: an array type alias."""
    if isinstance(value, ast.Subscript):
        value = value.value
    return (isinstance(value, ast.Name) and value.id == "NDArray") or (
        isinstance(value, ast.Attribute) and value.attr in ("NDArray", "ndarray")
    )


def _is_week(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "DAYS_PER_WEEK") or (
        isinstance(node, ast.Constant) and node.value in (7, 7.0)
    )


def test_calendar_constants_are_assigned_only_in_units() -> None:
    found = [
        f"{where}:{node.lineno} assigns {name}"
        for where, tree in _modules()
        if where != "mmntrial/units.py"
        for node in ast.walk(tree)
        for name in _assigned_names(node)
        if CONSTANT.fullmatch(name)
    ]
    assert found == [], "import these from mmntrial.units instead:\n" + "\n".join(found)


def test_days_per_year_is_written_only_in_units() -> None:
    # A bare 365.25 is DAYS_PER_YEAR under another name (or none).
    found = [
        f"{where}:{node.lineno}"
        for where, tree in _modules()
        if where != "mmntrial/units.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value == 365.25
    ]
    assert found == [], "use mmntrial.units.DAYS_PER_YEAR:\n" + "\n".join(found)


def test_array_type_aliases_are_declared_only_in_units() -> None:
    aliases = set(units.__all__) - {n for n in units.__all__ if CONSTANT.fullmatch(n)}
    found = [
        f"{where}:{node.lineno} declares {name}"
        for where, tree in _modules()
        if where != "mmntrial/units.py"
        for node in tree.body  # type aliases are module-level
        for name in _assigned_names(node)
        if name in aliases or _is_array_type(getattr(node, "value", None))
    ]
    assert found == [], "import the alias from mmntrial.units instead:\n" + "\n".join(found)


def test_the_dose_intensity_formula_is_written_only_in_measures() -> None:
    # dose / weight / (interval / 7): a division by a number of weeks made from days.
    found = [
        f"{where}:{node.lineno}"
        for where, tree in _modules()
        if where != "mmntrial/measures/ivig.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Div)
        and isinstance(node.left, ast.BinOp)
        and isinstance(node.left.op, ast.Div)
        and isinstance(node.right, ast.BinOp)
        and isinstance(node.right.op, ast.Div)
        and _is_week(node.right.right)
    ]
    assert found == [], "call mmntrial.measures.ivig.dose_intensity:\n" + "\n".join(found)


def test_the_primary_endpoint_rule_is_written_only_in_engine_endpoints() -> None:
    # Comparing a reduction with the target percent is the rule itself; everything else
    # (the engine, the simulator, the analysis) calls engine.endpoints.reaches_primary.
    found = [
        f"{where}:{node.lineno}"
        for where, tree in _modules()
        if where != "mmntrial/engine/endpoints.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        and any(isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE) for op in node.ops)
        and any(
            isinstance(part, ast.Attribute) and part.attr == "reduction_percent"
            for side in (node.left, *node.comparators)
            for part in ast.walk(side)
        )
    ]
    assert found == [], "call mmntrial.engine.endpoints.reaches_primary:\n" + "\n".join(found)


def test_units_module_values_and_api() -> None:
    assert units.DAYS_PER_WEEK == 7
    assert isinstance(units.DAYS_PER_WEEK, int)
    assert units.DAYS_PER_YEAR == 365.25
    assert units.DAYS_PER_MONTH == 365.25 / 12
    assert sorted(units.__all__) == [
        "Bools",
        "DAYS_PER_MONTH",
        "DAYS_PER_WEEK",
        "DAYS_PER_YEAR",
        "Floats",
        "Int16s",
        "Int8s",
        "Ints",
    ]


def test_units_imports_only_numpy() -> None:
    tree = ast.parse(UNITS_MODULE.read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert imported <= {"__future__", "numpy"}


def test_dataset_measure_units_agree_with_the_catalogue() -> None:
    assert {name: spec.unit for name, spec in MEASURES.items()} == schema.MEASURE_UNITS
    assert {name for name, spec in MEASURES.items() if spec.bilateral} == schema.SIDED_MEASURES
    assessments = schema.table_spec("assessments")
    assert assessments.column("measure").allowed == tuple(MEASURES)
    assert set(assessments.column("unit").allowed or ()) == {s.unit for s in MEASURES.values()}


def test_graded_labs_use_the_dataset_lab_units() -> None:
    # The grading table states each lab's unit beside its boundaries; the dataset schema
    # owns the unit a lab is recorded in. A table in another unit would grade wrongly.
    graded = ctcae_v5().labs
    assert graded, "the CTCAE table grades no lab"
    assert {lab: grading.unit for lab, grading in graded.items()} == {
        lab: schema.LAB_UNITS[lab] for lab in graded
    }
