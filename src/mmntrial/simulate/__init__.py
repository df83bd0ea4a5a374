"""Virtual MMN patients and the Monte-Carlo trial simulator.

The models here take values and return values (no files, no clock, no global state) and
are vectorized over patients with numpy, or written as one compiled loop over patients
where numpy's temporaries would cost most, because a sweep simulates 10^5 patients at a
time. Randomness is always an explicit seed or :class:`numpy.random.Generator`.

Modules:

- :mod:`mmntrial.simulate.randomness`: turning a seed or a Generator into a Generator.
- :mod:`mmntrial.simulate.pk_population`: the population parameters of the IgG model
  as plain data, and the one built-in set (Cheng et al. 2025 [S32]).
- :mod:`mmntrial.simulate.pk`: the two-compartment population model of IgG kinetics
  (DOMAIN.md section 4, Cheng et al. 2025 [S32]): parameters, sampling of virtual
  patients, exogenous IgG after any infusion schedule, exposure per window, terminal
  half-life and measured IgG with residual error.
- :mod:`mmntrial.simulate.pk_step`: the same model one step at a time (``PkState``).
- :mod:`mmntrial.simulate.population` (loading, codes POP-E0nn) and
  :mod:`mmntrial.simulate.population_model` (the sections): the virtual population;
  built-ins in ``builtin/*.toml``, first ``mmn-default``.
- :mod:`mmntrial.simulate.patients`: drawing virtual patients and their allocation.
- :mod:`mmntrial.simulate.disease`: exposure, dose need, deficit, drug onset, measures.
- :mod:`mmntrial.simulate.course`: the event loop through the protocol engine;
  :mod:`mmntrial.simulate.course_step`: its time-moving half, compiled with numba
  (:mod:`mmntrial._jit`).
- :mod:`mmntrial.simulate.trials`: ``run_trials``, ``run_chunk``, ``TrialResults``.
- :mod:`mmntrial.simulate.one_trial`: one trial as a full dataset;
  :mod:`mmntrial.simulate.safety`: its adverse events and labs.
- :mod:`mmntrial.simulate.fisher`: Fisher exact p-values from lookup tables.

docs/simulation.md describes the model, every parameter and the calibration.
"""
