"""mmntrial: design, simulate, run and analyse IVIg-sparing add-on trials in MMN.

The package is layered (docs/architecture.md): a pure core (``measures``, ``protocol``,
``engine``, ``randomization``, ``safety``, ``simulate``, ``analysis``) that takes values
and returns values, and a thin shell (``storage``, dataset I/O, ``report``, ``cli``) that
owns the database, files and the terminal.
"""

from functools import cache


@cache
def _installed_version() -> str:
    # Read on first use, not at import: the package metadata lookup costs tens of
    # milliseconds that `mmntrial --help` and every simulator worker would pay for nothing.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mmntrial")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> str:
    """``mmntrial.__version__``: the installed distribution's version, looked up once."""
    if name == "__version__":
        return _installed_version()
    raise AttributeError(f"module 'mmntrial' has no attribute {name!r}")


__all__ = ["__version__"]
