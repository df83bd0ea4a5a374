"""The capture app's tables, declared on the storage layer's one ``MetaData``.

- ``study``: one row, the protocol the study runs (name, content hash, the TOML text);
- ``sites``: the centres, by code;
- ``users``: accounts with an argon2 password hash and an active flag;
- ``role_grants``: a role for a user at one site, or at all sites (``site_id`` NULL);
- ``screening_log``: every patient screened at a site, excluded with a coded reason or
  enrolled with the consent form's version and date;
- ``eligibility``: the eligibility assessment of an enrolled screening entry: the
  findings as JSON, the EFNS/PNS 2010 category computed from them, the protocol's
  exclusions that apply, and whether the patient is eligible (revision ``0004``);
- ``allocation_lists``: the slots files (slots and kit codes, no arms, no seed) the
  study allocates from, the last one current (revision ``0004``);
- ``participants``: a randomized patient: subject id, site, screening entry,
  randomization date (day 0) and kit code, never the arm (revision ``0004``);
- ``emergency_unblindings``: who asked for a participant's arm, when and why (the arm
  itself is shown to that person once and stored nowhere here; revision ``0004``);
- ``visits``: a scheduled visit of a participant as done: the visit's name and the
  date it was done, once per participant and visit (revision ``0005``);
- ``assessments``: a measure taken at a participant's visit: its value (the MRC sum,
  None while grades are missing; a scale's value in the catalogue's unit) and its detail
  as JSON (the MRC grades and the grades missing; a confirmed plausibility message),
  once per participant, visit and measure (revision ``0005``);
- ``infusions``: the IVIg infusion log: date given, product, lot, route, grams, the
  weight the dose was calculated on and the prescribed interval, at most one a day per
  participant (revision ``0005``);
- ``site_vials``: the vial sizes a site stocks and the tolerance of a dispensed dose,
  one row per site, that the engine panel rounds to (revision ``0006``);
- ``dose_decisions``: the investigator's decision on the engine panel for a participant
  and a date: the engine's and the protocol's dose, the dose ordered, accepted or a
  protocol deviation with its reason, who and when (revision ``0006``);
- ``assessments.side``: "left" or "right" for grip, one row per hand with its best
  trial, "" for the other measures (revision ``0007``);
- ``adverse_events``: an adverse event of a participant (identifier ``AE-NNN`` per
  participant, CTCAE term, onset and resolution dates, grade 1-5, serious, relatedness,
  action taken, outcome); the one owner of an AE record (revision ``0007``);
- ``labs``: a laboratory value (neutrophils, wbc, alt, ast, igg; platelets,
  haemoglobin, bilirubin, creatinine since ``0009``) in the form's unit, with its CTCAE
  grade, once per participant, sample date and test (revision ``0007``); the lab's
  normal range (``lln``, ``uln``) and why it was not graded (``ungraded``, revision
  ``0009``);
- ``conmeds``: a concomitant medication with its start and end dates and the protocol's
  category (allowed, prohibited, warning; revision ``0007``);
- ``dispositions``: how a participant left the study (completed, withdrawn,
  lost_to_follow_up, died), the last date on study and the reason; none means ongoing
  (revision ``0007``);
- ``demographics``: age (years) and sex of an enrolled screening entry, recorded at
  eligibility, as the dataset's ``subjects`` table needs them (revision ``0008``);
- ``action_items``: what a fired safety rule, or a value a rule cannot judge, asks of
  its owner role: the finding, the action, the dates found and due, open or resolved
  with its resolution, once per participant and finding (revision ``0009``);
- ``conmeds.atc_code`` and ``conmeds.list_note``: the medication's ATC code when known,
  and what the prohibited and cautioned medications list says of it ("" when not listed);
  ``adverse_events.aware_at_utc``: when the site became aware of a serious event, the
  start of its 24-hour reporting clock (revision ``0010``);
- ``protocol_deviations``: a deviation a record raises (a prohibited or cautioned
  medication), naming its record (table and id) once per kind (revision ``0010``; dose
  overrides stay in ``dose_decisions``);
- ``sae_reports``: the initial report (sequence 0) and the follow-ups of a serious
  adverse event: narrative, who reported it and when (revision ``0010``);
- ``queries``: a question a data manager or monitor raises on one field of one saved
  record of a participant, the site's answer, and its state (open, answered, closed);
  the steps are the audit trail's entries of the row (revision ``0011``);
- ``record_locks``: a participant's record locked by the data manager (``locked``
  cleared by an unlock, with its reason), one row per record (revision ``0011``);
- ``signatures``: the investigator's signature of a visit's records, with the hash of
  the records as signed, one row per participant and visit (revision ``0011``);
- ``verifications``: source data verification of a record by the monitor, with the
  hash of the record as verified, one row per record (revision ``0011``).

Nothing is ever deleted: the migrations (revisions ``0003`` to ``0011``) add triggers
that abort every DELETE. A user is retired and a grant revoked by clearing ``active``,
an update that the audit trail (:mod:`mmntrial.capture.audit`) records with its
reason, as every insert and update of these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    Table,
    Text,
    UniqueConstraint,
)

from mmntrial.storage.schema import metadata

study = Table(
    "study",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("protocol_name", Text, nullable=False),
    Column("protocol_hash", Text, nullable=False),
    Column("protocol_text", Text, nullable=False),
)

sites = Table(
    "sites",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", Text, nullable=False, unique=True),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", Text, nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("active", Boolean, nullable=False),
)

role_grants = Table(
    "role_grants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("role", Text, nullable=False),
    # NULL: the role holds at every site (roles that are not tied to one centre).
    Column("site_id", Integer, ForeignKey("sites.id"), nullable=True),
    Column("active", Boolean, nullable=False),
)

screening_log = Table(
    "screening_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("site_id", Integer, ForeignKey("sites.id"), nullable=False),
    Column("screening_id", Text, nullable=False),
    Column("screened_on", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("exclusion_code", Text, nullable=True),
    Column("consent_version", Text, nullable=True),
    Column("consent_date", Text, nullable=True),
    UniqueConstraint("site_id", "screening_id", name="uq_screening_log_site_screening"),
)

eligibility = Table(
    "eligibility",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("screening_entry_id", Integer, ForeignKey("screening_log.id"), nullable=False),
    Column("assessed_on", Text, nullable=False),
    Column("findings_json", Text, nullable=False),
    Column("category", Text, nullable=False),
    Column("exclusions_json", Text, nullable=False),
    Column("eligible", Boolean, nullable=False),
    UniqueConstraint("screening_entry_id", name="uq_eligibility_screening_entry_id"),
)

allocation_lists = Table(
    "allocation_lists",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("commitment", Text, nullable=False, unique=True),
    Column("slots_json", Text, nullable=False),
)

participants = Table(
    "participants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject", Text, nullable=False, unique=True),
    Column("site_id", Integer, ForeignKey("sites.id"), nullable=False),
    Column("screening_entry_id", Integer, ForeignKey("screening_log.id"), nullable=False),
    Column("randomized_on", Text, nullable=False),
    Column("kit", Text, nullable=False, unique=True),
    UniqueConstraint("screening_entry_id", name="uq_participants_screening_entry_id"),
)

emergency_unblindings = Table(
    "emergency_unblindings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("participant_id", Integer, ForeignKey("participants.id"), nullable=False),
    Column("reason", Text, nullable=False),
    Column("requested_by", Text, nullable=False),
    Column("requested_at_utc", Text, nullable=False),
)

visits = Table(
    "visits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("participant_id", Integer, ForeignKey("participants.id"), nullable=False),
    Column("visit", Text, nullable=False),
    Column("visited_on", Text, nullable=False),
    UniqueConstraint("participant_id", "visit", name="uq_visits_participant_visit"),
)

assessments = Table(
    "assessments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("participant_id", Integer, ForeignKey("participants.id"), nullable=False),
    Column("visit", Text, nullable=False),
    Column("measure", Text, nullable=False),
    Column("value", Float, nullable=True),
    Column("detail_json", Text, nullable=False),
    # "left"/"right" for a measure taken per hand (grip), "" otherwise (revision 0007):
    # not NULL, so that the unique constraint still holds one MRC sum per visit.
    Column("side", Text, nullable=False, server_default=""),
    UniqueConstraint(
        "participant_id",
        "visit",
        "measure",
        "side",
        name="uq_assessments_participant_visit_measure_side",
    ),
)

infusions = Table(
    "infusions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("participant_id", Integer, ForeignKey("participants.id"), nullable=False),
    Column("given_on", Text, nullable=False),
    Column("product", Text, nullable=False),
    Column("lot", Text, nullable=False),
    Column("route", Text, nullable=False),
    Column("dose_g", Float, nullable=False),
    Column("weight_kg", Float, nullable=False),
    Column("interval_days", Integer, nullable=False),
    # The plausibility message of a weight confirmed as unusual ("" otherwise).
    Column("weight_note", Text, nullable=False),
    UniqueConstraint("participant_id", "given_on", name="uq_infusions_participant_given_on"),
)

site_vials = Table(
    "site_vials",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("site_id", Integer, ForeignKey("sites.id"), nullable=False),
    # The sizes in grams as a JSON list, largest first (mmntrial.measures.vials.SiteVials).
    Column("sizes_json", Text, nullable=False),
    Column("tolerance_percent", Float, nullable=False),
    UniqueConstraint("site_id", name="uq_site_vials_site_id"),
)

dose_decisions = Table(
    "dose_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("participant_id", Integer, ForeignKey("participants.id"), nullable=False),
    # The date of the infusion decided (YYYY-MM-DD): one decision per participant and date.
    Column("decided_for", Text, nullable=False),
    # The engine's action (reduce, hold, restore, rescue, ...), as the panel showed it.
    Column("action", Text, nullable=False),
    Column("engine_dose_g", Float, nullable=True),
    Column("protocol_dose_g", Float, nullable=True),
    Column("protocol_interval_days", Float, nullable=True),
    Column("ordered_dose_g", Float, nullable=False),
    Column("ordered_interval_days", Integer, nullable=False),
    # "accepted" (the panel's dose) or "deviation" (an override, with its reason).
    Column("outcome", Text, nullable=False),
    Column("reason", Text, nullable=True),
    Column("decided_by", Text, nullable=False),
    Column("decided_at_utc", Text, nullable=False),
    UniqueConstraint(
        "participant_id", "decided_for", name="uq_dose_decisions_participant_decided_for"
    ),
)

adverse_events = Table(
    "adverse_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("participant_id", Integer, ForeignKey("participants.id"), nullable=False),
    Column("ae_id", Text, nullable=False),
    Column("term", Text, nullable=False),
    Column("onset_on", Text, nullable=False),
    Column("resolved_on", Text, nullable=True),
    Column("grade", Integer, nullable=False),
    Column("serious", Boolean, nullable=False),
    Column("related_to", Text, nullable=False),
    Column("action_taken", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    # When the site became aware of a serious event (ISO, UTC; revision 0010).
    Column("aware_at_utc", Text, nullable=True),
    UniqueConstraint("participant_id", "ae_id", name="uq_adverse_events_participant_ae"),
)

labs = Table(
    "labs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("participant_id", Integer, ForeignKey("participants.id"), nullable=False),
    Column("sampled_on", Text, nullable=False),
    Column("test", Text, nullable=False),
    Column("value", Float, nullable=False),
    Column("unit", Text, nullable=False),
    Column("grade", Integer, nullable=True),
    # The plausibility message of a value confirmed as unusual ("" otherwise).
    Column("note", Text, nullable=False),
    # The normal range the lab reported with the value (revision 0009).
    Column("lln", Float, nullable=True),
    Column("uln", Float, nullable=True),
    # Why a lab CTCAE grades against its normal range was not graded (revision 0009).
    Column("ungraded", Text, nullable=True),
    UniqueConstraint(
        "participant_id", "sampled_on", "test", name="uq_labs_participant_sampled_test"
    ),
)

action_items = Table(
    "action_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("participant_id", Integer, ForeignKey("participants.id"), nullable=False),
    # The finding's key (mmntrial.safety.rules): one item per finding, never a second.
    Column("finding_key", Text, nullable=False),
    Column("rule_id", Text, nullable=False),
    Column("kind", Text, nullable=False),  # "fired" or "cannot_evaluate"
    Column("finding", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("owner_role", Text, nullable=False),
    Column("found_on", Text, nullable=False),
    Column("opened_on", Text, nullable=False),
    Column("due_on", Text, nullable=False),
    Column("status", Text, nullable=False),  # "open" or "resolved"
    Column("resolution", Text, nullable=True),
    UniqueConstraint("participant_id", "finding_key", name="uq_action_items_participant_finding"),
)

conmeds = Table(
    "conmeds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("participant_id", Integer, ForeignKey("participants.id"), nullable=False),
    Column("medication", Text, nullable=False),
    Column("started_on", Text, nullable=False),
    Column("ended_on", Text, nullable=True),
    Column("category", Text, nullable=False),
    # Revision 0010: the ATC code when known; the list's verdict ("" when not listed).
    Column("atc_code", Text, nullable=True),
    Column("list_note", Text, nullable=False, server_default=""),
)

protocol_deviations = Table(
    "protocol_deviations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("participant_id", Integer, ForeignKey("participants.id"), nullable=False),
    Column("kind", Text, nullable=False),
    # The date the deviation happened (a medication's start), YYYY-MM-DD.
    Column("occurred_on", Text, nullable=False),
    Column("record_table", Text, nullable=False),
    Column("record_id", Integer, nullable=False),
    Column("description", Text, nullable=False),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at_utc", Text, nullable=False),
    UniqueConstraint(
        "record_table", "record_id", "kind", name="uq_protocol_deviations_record_kind"
    ),
)

sae_reports = Table(
    "sae_reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("participant_id", Integer, ForeignKey("participants.id"), nullable=False),
    Column("adverse_event_id", Integer, ForeignKey("adverse_events.id"), nullable=False),
    # 0: the initial report; 1, 2, ...: the follow-ups, in order.
    Column("sequence", Integer, nullable=False),
    Column("narrative", Text, nullable=False),
    Column("reported_by", Text, nullable=False),
    Column("reported_at_utc", Text, nullable=False),
    UniqueConstraint("adverse_event_id", "sequence", name="uq_sae_reports_adverse_event_sequence"),
)

dispositions = Table(
    "dispositions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("participant_id", Integer, ForeignKey("participants.id"), nullable=False),
    Column("status", Text, nullable=False),
    Column("last_on", Text, nullable=False),
    Column("reason", Text, nullable=True),
    UniqueConstraint("participant_id", name="uq_dispositions_participant_id"),
)

demographics = Table(
    "demographics",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("screening_entry_id", Integer, ForeignKey("screening_log.id"), nullable=False),
    Column("age_years", Float, nullable=False),
    Column("sex", Text, nullable=False),
    UniqueConstraint("screening_entry_id", name="uq_demographics_screening_entry_id"),
)

queries = Table(
    "queries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("participant_id", Integer, ForeignKey("participants.id"), nullable=False),
    # The record queried: a table of mmntrial.capture.reviewed.REVIEWED, its row, a column.
    Column("table_name", Text, nullable=False),
    Column("record_id", Integer, nullable=False),
    Column("field", Text, nullable=False),
    Column("question", Text, nullable=False),
    # "open", "answered" or "closed" (mmntrial.capture.queries.Status).
    Column("status", Text, nullable=False),
    Column("answer", Text, nullable=True),
    Column("raised_by", Text, nullable=False),
    Column("raised_at_utc", Text, nullable=False),
)

record_locks = Table(
    "record_locks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("table_name", Text, nullable=False),
    Column("record_id", Integer, nullable=False),
    Column("locked", Boolean, nullable=False),
    Column("locked_by", Text, nullable=False),
    Column("locked_at_utc", Text, nullable=False),
    UniqueConstraint("table_name", "record_id", name="uq_record_locks_table_record"),
)

signatures = Table(
    "signatures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("participant_id", Integer, ForeignKey("participants.id"), nullable=False),
    Column("visit", Text, nullable=False),
    # What was signed: the records as "table:id" (JSON list) and the hash of their values.
    Column("records_json", Text, nullable=False),
    Column("records_hash", Text, nullable=False),
    Column("signed_by", Text, nullable=False),
    Column("signed_at_utc", Text, nullable=False),
    UniqueConstraint("participant_id", "visit", name="uq_signatures_participant_visit"),
)

verifications = Table(
    "verifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("table_name", Text, nullable=False),
    Column("record_id", Integer, nullable=False),
    # The hash of the record's values as verified: a later change no longer matches it.
    Column("record_hash", Text, nullable=False),
    Column("verified_by", Text, nullable=False),
    Column("verified_at_utc", Text, nullable=False),
    UniqueConstraint("table_name", "record_id", name="uq_verifications_table_record"),
)

#: Every table of the capture app, by name: the audit trail records changes to these.
TABLES = {
    table.name: table
    for table in (
        study,
        sites,
        users,
        role_grants,
        screening_log,
        eligibility,
        allocation_lists,
        participants,
        emergency_unblindings,
        visits,
        assessments,
        infusions,
        site_vials,
        dose_decisions,
        adverse_events,
        labs,
        conmeds,
        dispositions,
        demographics,
        action_items,
        protocol_deviations,
        sae_reports,
        queries,
        record_locks,
        signatures,
        verifications,
    )
}
