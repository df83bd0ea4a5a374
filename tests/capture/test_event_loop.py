"""No route does database work on the server's event loop.

An ``async`` route runs on the event loop: while it waits for the write lock or the disk,
no other request moves (docs/capture.md, "Under load"). Every ``async def`` in the app's
route modules may only await the request's body and hand the rest to a worker thread;
a call to ``database.read()`` or ``database.write()`` inside one fails this test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import mmntrial.capture

CAPTURE = Path(mmntrial.capture.__file__).parent


def _database_calls_in_async_functions(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if (
                isinstance(inner, ast.Call)
                and isinstance(inner.func, ast.Attribute)
                and inner.func.attr in {"read", "write"}
                and isinstance(inner.func.value, ast.Name)
                and inner.func.value.id == "database"
            ):
                found.append(f"{node.name} (line {inner.lineno})")
    return found


def test_the_check_finds_database_work_in_an_async_route() -> None:
    example = "async def save(request):\n    with database.write() as conn:\n        pass\n"
    assert _database_calls_in_async_functions(example) == ["save (line 2)"]


def test_no_async_route_touches_the_database() -> None:
    modules = sorted(CAPTURE.glob("*web.py"))
    assert len(modules) >= 4  # web.py and the route modules beside it
    offending = {
        path.name: calls
        for path in modules
        if (calls := _database_calls_in_async_functions(path.read_text(encoding="utf-8")))
    }
    assert offending == {}
