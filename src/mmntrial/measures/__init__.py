"""Clinical measures of MMN trials: value types, scales, units and validation.

Units live in names (``grip_kpa``, ``dose_g``, ``intensity_g_per_kg_week``). The
catalogue (:mod:`mmntrial.measures.catalogue`) names every measure a protocol can
schedule or a deterioration rule can watch.
"""
