"""The virtual population: its file format, its loading and its built-in files.

- :mod:`~mmntrial.simulate.population.model`: the sections of a population, as frozen
  dataclasses whose fields are the file's keys (the one source of the format).
- :mod:`~mmntrial.simulate.population.loader`: loading a built-in name or a TOML file,
  with every problem reported at once (codes POP-E0nn). Its public names are
  re-exported here.
- ``builtin/*.toml``: the built-in populations, first ``mmn-default``.
"""

from mmntrial.simulate.population.loader import (
    CODES,
    Population,
    PopulationError,
    load_population,
    parse_population,
    population_names,
)

__all__ = [
    "CODES",
    "Population",
    "PopulationError",
    "load_population",
    "parse_population",
    "population_names",
]
