"""mmntrial: design, simulate, run and analyse IVIg-sparing add-on trials in MMN.

The package is layered: a pure core (``protocol``, ``measures``, ``engine``,
``randomization``, ``simulate``, ``analysis``) that takes values and returns values,
and a thin shell (``cli``, dataset I/O, ``report``) that owns files and the terminal.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mmntrial")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
