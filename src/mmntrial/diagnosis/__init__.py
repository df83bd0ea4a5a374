"""The diagnosis of multifocal motor neuropathy by the EFNS/PNS 2010 guideline [S5].

Pure: findings in, a category and its reasons out. One concept per module:

- :mod:`~mmntrial.diagnosis.guideline`: the criteria as data (``efns-pns-2010.toml``
  beside it: every threshold and the guideline's wording, tagged [S5]);
- :mod:`~mmntrial.diagnosis.clinical`: the clinical criteria 1-11 and the supportive
  criteria 1-4 as a screening form records them; asymmetry of MRC grades;
- :mod:`~mmntrial.diagnosis.conduction`: definite, probable or no conduction block per
  nerve segment;
- :mod:`~mmntrial.diagnosis.category`: the diagnostic category (definite, probable,
  possible, not met) with the reasons in words.

Import from the module; this package re-exports nothing.
"""
