"""The software a report was made with, for its reproducibility section."""

from __future__ import annotations

import platform
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version


def software_versions(libraries: Sequence[str]) -> str:
    """``Python 3.11.7, numpy 2.1.0, ...``: the interpreter and each library's installed version.

    >>> software_versions(["surely-not-installed"]).split(", ")[1]
    'surely-not-installed (not installed)'
    """
    found = [f"Python {platform.python_version()}"]
    for name in libraries:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


__all__ = ["software_versions"]
