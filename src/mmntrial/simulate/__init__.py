"""Virtual MMN patients and the Monte-Carlo trial simulator.

The models here take values and return values (no files, no clock, no global state) and
are vectorized over patients with numpy, or written as one compiled loop over patients
where numpy's temporaries would cost most, because a sweep simulates 10^5 patients at a
time. Randomness is always an explicit seed or :class:`numpy.random.Generator`.

Sub-packages, one concern each:

- :mod:`mmntrial.simulate.pk`: the two-compartment population model of IgG kinetics
  (DOMAIN.md section 4, Cheng et al. 2025 [S32]), whole courses and one step at a time.
- :mod:`mmntrial.simulate.population`: the virtual population, its file format (codes
  POP-E0nn) and the built-in files, first ``mmn-default``.
- :mod:`mmntrial.simulate.trials`: the trial runner: virtual patients, the disease
  model, the event loop through the protocol engine, per-trial results and their
  summary, and one trial as a full dataset.
- :mod:`mmntrial.simulate.sweep`: grids of designs, run in chunks in this process or on
  a Dask cluster.
- :mod:`mmntrial.simulate.provenance` and :mod:`mmntrial.simulate.reproduce`: the record
  of how a result was made (inputs with their content hashes, seed, trials, version), and
  re-running it to check that the numbers are the same.

docs/simulation.md describes the model, every parameter and the calibration.
"""
