"""The protocol engine: taper state machine, deterioration rules, dose decisions.

Pure and vectorized over patients (numpy): no I/O, no clock, no global state. The
simulator calls it for 10^5 patients at a time, the replay and the capture app for one;
both get the same decisions (see :mod:`mmntrial.engine.core`).
"""
