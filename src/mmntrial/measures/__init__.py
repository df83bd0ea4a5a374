"""Clinical measures of MMN trials: value types, scales, units and validation.

Units live in names (``grip_kpa``, ``dose_g``, ``intensity_g_per_kg_week``). Every
function here is pure: values in, values out, :class:`~mmntrial.errors.MeasureError`
(naming the field, the value received and what was expected) for anything invalid.

One concept per module:

- :mod:`~mmntrial.measures.catalogue`: every measure a protocol can schedule or a
  deterioration rule can watch (unit, range, worse direction, sidedness, the other units
  it may be typed in); ``check_value``, ``convert_value``.
- :mod:`~mmntrial.measures.mrc`: MRC grades 0-5 (with "4-"/"4+" and optional quarter
  steps), named muscle sets, the bilateral MRC sum score with its missing-value rules,
  scalar and vectorized.
- :mod:`~mmntrial.measures.grip`: grip per hand, best of up to three trials, the more
  affected hand; Martin vigorimeter (kPa) and Jamar dynamometer (kg) never mixed.
- :mod:`~mmntrial.measures.disability`: GNDS and ONLS grades, I-RODS and MMN-RODS
  centiles.
- :mod:`~mmntrial.measures.ivig`: infusion records and dose intensity in g/kg/week, per
  infusion, over a window, at baseline; percent reduction. Its ``dose_intensity`` and
  ``grams_at_intensity`` are the package's only copy of the intensity formula.
- :mod:`~mmntrial.measures.ivig_arrays`: the same intensities over NaN-padded arrays of
  patients x infusions, for the simulator.
- :mod:`~mmntrial.measures.vials`: a dose as whole vials of the sizes a site stocks,
  nearest (ties up) or at least the engine's dose, within a tolerance; fewest vials.
- :mod:`~mmntrial.measures.antibodies`: anti-GM1 IgM titres as log2 dilution steps with
  the assay named; change between titres of one assay.
- :mod:`~mmntrial.measures.history`: one patient's history (infusions, assessments,
  withdrawal), the record the engine decides from and the dataset layer reads and writes;
  two infusions or assessments on one day are refused.
- :mod:`~mmntrial.measures.plausibility`: one verdict per typed value (accepted, needs
  confirmation, refused), the plausible bands in ``plausible-ranges.toml``;
- :mod:`~mmntrial.measures.mrc_form`: the MRC form, grades per side and muscle as typed,
  the sum as you type and what is missing, a message per bad field;
- :mod:`~mmntrial.measures.grip_form`: the grip form, three trials per hand on a named
  instrument, the best kept, each trial judged;
- :mod:`~mmntrial.measures.limits`: the plausibility limits of study days (ten years
  either side of day 0) and ages (0-120 years), which every reader enforces.

Import from the module (``from mmntrial.measures.ivig import Infusion``): this package
re-exports nothing, so that importing the catalogue (as the protocol model does) stays
cheap and free of import cycles.
"""
