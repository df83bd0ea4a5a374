"""docs/architecture.md is the map of the code, and the code keeps to it.

The page's layer table is the one statement of the layers: every package of
``src/mmntrial`` has a row, and no module imports a package of its own layer or of a
layer above it (imports inside functions count too). Every ``mmntrial.…`` name the page
mentions must exist, so the "where new things go" steps cannot drift from the code.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "src" / "mmntrial"
PAGE = (ROOT / "docs" / "architecture.md").read_text()

# A row of the layer table: | `package` | layer | what it owns |
ROW = re.compile(r"^\|\s*`(?P<package>[\w.]+)`\s*\|\s*(?P<layer>\d+)\s*\|", re.MULTILINE)


def layers() -> dict[str, int]:
    """Package (or top-level module) name -> layer number, as the page states them."""
    table = {match["package"]: int(match["layer"]) for match in ROW.finditer(PAGE)}
    assert table, "docs/architecture.md has no layer table"
    return table


def top_level_units() -> list[str]:
    """The packages and top-level modules of src/mmntrial, as named in the layer table."""
    units = ["mmntrial"]
    for path in sorted(PACKAGE.iterdir()):
        if path.is_dir() and (path / "__init__.py").exists():
            units.append(path.name)
        elif path.suffix == ".py" and path.name != "__init__.py":
            units.append(path.stem)
    return units


def unit_of(module: str) -> str:
    """``mmntrial.engine.core`` -> ``engine``; ``mmntrial`` -> ``mmntrial``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imported_modules(path: Path, package: Path = PACKAGE) -> list[tuple[int, str]]:
    """Every ``mmntrial`` module a source file imports, with the line it does so on."""
    module = ".".join(path.relative_to(package.parent).with_suffix("").parts)
    if path.name == "__init__.py":
        module = module.rsplit(".", 1)[0] + ".__init__"
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: -node.level]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return [(line, name) for line, name in found if name.split(".")[0] == "mmntrial"]


def test_every_package_has_a_row_in_the_layer_table() -> None:
    table = layers()
    assert sorted(set(top_level_units()) - set(table)) == []
    assert sorted(set(table) - set(top_level_units())) == []


def test_no_import_runs_up_or_across_a_layer() -> None:
    table = layers()
    breaks = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        own = relative.parts[0] if len(relative.parts) > 1 else relative.stem
        own = "mmntrial" if own == "__init__" else own
        for line, name in imported_modules(path):
            other = unit_of(name)
            if other != own and table[other] >= table[own]:
                breaks.append(f"{relative}:{line} ({own}, layer {table[own]}) imports {name}")
    assert breaks == []


def test_the_layer_check_sees_an_upward_import(tmp_path: Path) -> None:
    # The check above must be able to fail: an engine module importing the simulator.
    source = tmp_path / "mmntrial" / "engine" / "bad.py"
    source.parent.mkdir(parents=True)
    source.write_text("def f():\n    from mmntrial.simulate import x\n    from . import core\n")
    found = [
        (line, name)
        for line, name in imported_modules(source, tmp_path / "mmntrial")
        if unit_of(name) != "engine"
    ]
    assert found == [(2, "mmntrial.simulate")]
    assert layers()["simulate"] > layers()["engine"]


NAMES = sorted(set(re.findall(r"`(mmntrial(?:\.\w+)+)`", PAGE)))


def resolve(dotted: str) -> object:
    """Import the longest module prefix of ``dotted`` and get the rest as attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            target = getattr(target, attribute)
        return target
    raise ModuleNotFoundError(dotted)


@pytest.mark.parametrize("dotted", NAMES)
def test_every_name_on_the_page_exists(dotted: str) -> None:
    resolve(dotted)


def test_the_page_names_code() -> None:
    assert len(NAMES) >= 10
