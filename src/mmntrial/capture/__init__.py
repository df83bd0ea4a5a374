"""The capture app: the trial's web app for sites (issue 14), on the one database.

- :mod:`.tables`: study, sites, users, role grants, the screening log, eligibility,
  allocation lists, participants, emergency unblindings, visits, assessments,
  infusions, site vials, dose decisions;
- :mod:`.audit`: every insert and update, with who, when, old and new values and a
  reason, appended to the hash chain ``audit`` in the same transaction; its check;
  :mod:`.export` streams it to CSV;
- :mod:`.accounts` (with :mod:`.passwords`), :mod:`.study`, :mod:`.screening`,
  :mod:`.eligibility` (exclusions and the EFNS/PNS 2010 category) and
  :mod:`.allocation` (the study's list, randomization through the ledger, emergency
  unblinding), :mod:`.visits` (visit dates and the calendar), :mod:`.assessments`
  (a visit's MRC grades and scales, with plausibility verdicts) and :mod:`.infusions`
  (the IVIg infusion log), :mod:`.site_vials` (a site's vial sizes), :mod:`.dosing`
  (the records as the engine reads them, the engine panel), :mod:`.decisions` (accept
  or override) and :mod:`.repeats` (the confirmation visit): what the commands and
  pages do;
- :mod:`.permissions`: the one table that decides who may use each route, and
  :mod:`.guard`, which checks it (and CSRF) before every route;
- :mod:`.web`: the FastAPI app (pages and JSON API); :mod:`.participantsweb` adds the
  routes of eligibility, randomization, participants and unblinding,
  :mod:`.visits_web`, :mod:`.assessments_web`, :mod:`.infusions_web` and
  :mod:`.panel_web` those of visits, assessment forms, the infusion log and the engine
  panel; :mod:`.routes` holds what they share
  (the page renderer's type, a JSON body as form fields, the API's 4xx for a user error).

See docs/capture.md.
"""
