"""Who may use each route of the capture app: the one permission table.

Every route of the app has exactly one entry in :data:`PERMISSIONS`, by route name; the
guard (:mod:`mmntrial.capture.web.guard`) looks every request up here and refuses a
route that has no entry. A test builds the role x route x own/other-site matrix from
this table, and docs/capture.md's role table is checked against it.

Roles tied to one centre (:data:`SITE_ROLES`: investigator, study nurse) see only the
sites they hold the role at; the others hold their role at every site.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """The roles of the trial (issue 14)."""

    ADMIN = "admin"
    INVESTIGATOR = "investigator"
    STUDY_NURSE = "study_nurse"
    DATA_MANAGER = "data_manager"
    MONITOR = "monitor"
    PHARMACIST = "pharmacist"
    DSMB_STATISTICIAN = "dsmb_statistician"


#: Roles held at one site only; the others hold at all sites.
SITE_ROLES = frozenset({Role.INVESTIGATOR, Role.STUDY_NURSE})

#: Each role as pages name it, in words.
ROLE_NAMES = {
    Role.ADMIN: "administrator",
    Role.INVESTIGATOR: "investigator",
    Role.STUDY_NURSE: "study nurse",
    Role.DATA_MANAGER: "data manager",
    Role.MONITOR: "monitor",
    Role.PHARMACIST: "pharmacist",
    Role.DSMB_STATISTICIAN: "DSMB statistician",
}

#: What each role is for, as docs/capture.md shows it.
ROLE_PURPOSE = {
    Role.ADMIN: "accounts, roles and sites of the study",
    Role.INVESTIGATOR: "screens and enrols patients at own site; clinical decisions; signs "
    "visits; resolves the safety action items the protocol's rules give the investigator",
    Role.STUDY_NURSE: "screens patients and enters data at own site; resolves the safety "
    "action items the protocol's rules give the study nurse",
    Role.DATA_MANAGER: "reads every site's records, raises and closes queries, locks and "
    "unlocks records, prints expedited SAE reports, resolves the safety action items the "
    "protocol's rules give the data manager",
    Role.MONITOR: "reads every site's records, raises and closes queries, verifies records "
    "against their source, resolves the safety action items the protocol's rules give the "
    "monitor",
    Role.PHARMACIST: "unblinded: dispenses kits, sees each participant's arm",
    Role.DSMB_STATISTICIAN: "unblinded: the DSMB's open and closed reports of the live study, "
    "as pages and PDF",
}

EVERYONE = frozenset(Role)
SITE_READERS = frozenset(
    {Role.ADMIN, Role.INVESTIGATOR, Role.STUDY_NURSE, Role.DATA_MANAGER, Role.MONITOR}
)
SITE_WRITERS = frozenset({Role.INVESTIGATOR, Role.STUDY_NURSE})
ADMINS = frozenset({Role.ADMIN})
INVESTIGATORS = frozenset({Role.INVESTIGATOR})
PHARMACISTS = frozenset({Role.PHARMACIST})
DSMB = frozenset({Role.DSMB_STATISTICIAN})
#: Who prints an expedited SAE report: the site's investigator and the data manager.
SAE_PRINTERS = frozenset({Role.INVESTIGATOR, Role.DATA_MANAGER})
REVIEWERS = frozenset({Role.DATA_MANAGER, Role.MONITOR})
DATA_MANAGERS = frozenset({Role.DATA_MANAGER})
MONITORS = frozenset({Role.MONITOR})
#: Who may resolve a safety action item: the roles that may own one
#: (mmntrial.protocol.model.OWNER_ROLES), blinded all; each item only its owner role
#: (mmntrial.capture.action_items.resolve checks the item's row).
ITEM_RESOLVERS = frozenset({Role.INVESTIGATOR, Role.STUDY_NURSE, Role.DATA_MANAGER, Role.MONITOR})


@dataclass(frozen=True)
class Rule:
    """Who may use a route: the roles, and whether it needs signing in at all.

    A ``per_site`` route has ``{site}`` in its path (a test checks) and is further
    limited to the sites where the user holds one of ``roles`` (or holds it at all).
    """

    roles: frozenset[Role]
    public: bool = False
    summary: str = ""
    per_site: bool = False


PUBLIC = Rule(frozenset(), public=True)

#: The kinds of record of :mod:`mmntrial.capture.records_web`: route stem, one, many.
RECORDS = (
    ("adverse_events", "an adverse event", "adverse events"),
    ("labs", "a lab value", "lab values"),
    ("conmeds", "a concomitant medication", "concomitant medications"),
    ("dispositions", "the end of study (disposition)", "disposition"),
)


def _record_pages() -> dict[str, Rule]:
    rules = {}
    for name, one, many in RECORDS:
        rules[f"{name}_page"] = Rule(SITE_READERS, summary=f"a participant's {many}", per_site=True)
        rules[f"{name}_add"] = Rule(SITE_WRITERS, summary=f"record {one}", per_site=True)
        rules[f"{name}_change"] = Rule(
            SITE_WRITERS, summary=f"change {one}, with a reason", per_site=True
        )
    return rules


def _record_api() -> dict[str, Rule]:
    rules = {}
    for name, one, many in RECORDS:
        rules[f"api_{name}"] = Rule(
            SITE_READERS, summary=f"a participant's {many} (JSON)", per_site=True
        )
        rules[f"api_{name}_add"] = Rule(SITE_WRITERS, summary=f"record {one} (JSON)", per_site=True)
        rules[f"api_{name}_change"] = Rule(
            SITE_WRITERS, summary=f"change {one}, with a reason (JSON)", per_site=True
        )
    return rules


#: The routes of mmntrial.capture.monitoring_web: page route, its JSON twin, who, what.
MONITORING = (
    ("review_page", "api_review", SITE_READERS, "a participant's records with queries and locks"),
    ("queries_page", "api_queries", SITE_READERS, "a site's queries"),
    ("query_raise", "api_query_raise", REVIEWERS, "raise a query on a field of a record"),
    ("query_answer", "api_query_answer", SITE_WRITERS, "answer a query"),
    ("query_close", "api_query_close", REVIEWERS, "close a query one raised"),
    ("query_reopen", "api_query_reopen", REVIEWERS, "re-open a query one raised, with a reason"),
    ("record_lock", "api_record_lock", DATA_MANAGERS, "lock a record or a visit's records"),
    ("record_unlock", "api_record_unlock", DATA_MANAGERS, "unlock a record, with a reason"),
    ("visit_sign", "api_visit_sign", INVESTIGATORS, "sign a visit's records (password)"),
    ("record_verify", "api_record_verify", MONITORS, "verify a record against its source"),
)


def _monitoring() -> dict[str, Rule]:
    rules = {}
    for name, api, roles, summary in MONITORING:
        rules[name] = Rule(roles, summary=summary, per_site=True)
        rules[api] = Rule(roles, summary=f"{summary} (JSON)", per_site=True)
    return rules


PERMISSIONS: dict[str, Rule] = {
    "login_form": Rule(frozenset(), public=True, summary="the sign-in page"),
    "login": Rule(frozenset(), public=True, summary="sign in"),
    "logout": Rule(EVERYONE, summary="sign out"),
    "home": Rule(EVERYONE, summary="the study and my sites"),
    "static_htmx": Rule(EVERYONE, summary="the pages' script (htmx, served by the app)"),
    "screening_page": Rule(SITE_READERS, summary="a site's screening log", per_site=True),
    "screening_add": Rule(SITE_WRITERS, summary="screen a patient at a site", per_site=True),
    "eligibility_page": Rule(
        SITE_READERS, summary="an enrolled patient's eligibility", per_site=True
    ),
    "eligibility_save": Rule(
        SITE_WRITERS, summary="assess an enrolled patient's eligibility", per_site=True
    ),
    "randomize": Rule(SITE_WRITERS, summary="randomize an eligible patient", per_site=True),
    "participants_page": Rule(
        SITE_READERS, summary="a site's participants (kit codes, no arms)", per_site=True
    ),
    "unblind_form": Rule(INVESTIGATORS, summary="ask for an emergency unblinding", per_site=True),
    "unblind": Rule(
        INVESTIGATORS, summary="emergency unblinding: the arm, recorded", per_site=True
    ),
    "dispensing_page": Rule(
        PHARMACISTS, summary="a site's participants with their arms", per_site=True
    ),
    "participant_page": Rule(SITE_READERS, summary="a participant's visit calendar", per_site=True),
    "visit_record": Rule(SITE_WRITERS, summary="record the date of a visit", per_site=True),
    "visits_page": Rule(SITE_READERS, summary="a site's participants and visits", per_site=True),
    "overdue_page": Rule(SITE_READERS, summary="a site's overdue visits", per_site=True),
    "action_items_page": Rule(
        SITE_READERS, summary="a site's open safety action items, overdue marked", per_site=True
    ),
    "action_item_resolve": Rule(
        ITEM_RESOLVERS, summary="resolve an action item, with a resolution", per_site=True
    ),
    "action_items_resolved_page": Rule(
        SITE_READERS,
        summary="a site's resolved action items: who, when, the resolution",
        per_site=True,
    ),
    "assessment_page": Rule(
        SITE_READERS, summary="a visit's assessment form (MRC, scales)", per_site=True
    ),
    "assessment_save": Rule(SITE_WRITERS, summary="save a visit's assessment form", per_site=True),
    "assessment_mrc_sum": Rule(
        SITE_WRITERS, summary="the MRC sum of the grades typed (saves nothing)", per_site=True
    ),
    "grip_page": Rule(SITE_READERS, summary="a visit's grip form", per_site=True),
    "grip_save": Rule(SITE_WRITERS, summary="save a visit's grip form", per_site=True),
    "infusions_page": Rule(
        SITE_READERS, summary="a participant's IVIg infusion log", per_site=True
    ),
    "infusion_add": Rule(SITE_WRITERS, summary="log an IVIg infusion", per_site=True),
    "panel_page": Rule(
        SITE_READERS, summary="a participant's engine panel and decisions", per_site=True
    ),
    "dose_decide": Rule(
        INVESTIGATORS, summary="accept or override the engine panel's dose", per_site=True
    ),
    "deviations_page": Rule(SITE_READERS, summary="a site's protocol deviations", per_site=True),
    "infusion_correct": Rule(
        SITE_WRITERS, summary="correct a logged IVIg infusion, with a reason", per_site=True
    ),
    **_record_pages(),
    "dsmb_open": Rule(DSMB, summary="the DSMB's open report of the study (pooled over arms)"),
    "dsmb_closed": Rule(DSMB, summary="the DSMB's closed report of the study (by arm)"),
    "dsmb_open_pdf": Rule(DSMB, summary="the DSMB's open report of the study as PDF"),
    "dsmb_closed_pdf": Rule(DSMB, summary="the DSMB's closed report of the study as PDF"),
    "saes_page": Rule(
        SITE_READERS, summary="a site's serious adverse events and their clocks", per_site=True
    ),
    "sae_page": Rule(
        SITE_READERS, summary="a serious adverse event's clock and reports", per_site=True
    ),
    "sae_report": Rule(
        SITE_WRITERS, summary="report a serious adverse event (initial, follow-up)", per_site=True
    ),
    "sae_pdf": Rule(
        SAE_PRINTERS, summary="a serious adverse event's expedited report (PDF)", per_site=True
    ),
    "users_page": Rule(ADMINS, summary="accounts and roles"),
    "user_add": Rule(ADMINS, summary="add an account"),
    "user_retire": Rule(ADMINS, summary="retire an account"),
    "grant_add": Rule(ADMINS, summary="grant a role"),
    "grant_revoke": Rule(ADMINS, summary="revoke a role"),
    "api_openapi": Rule(EVERYONE, summary="the API's OpenAPI document"),
    "api_study": Rule(EVERYONE, summary="the study and my sites (JSON)"),
    "api_screening_list": Rule(
        SITE_READERS, summary="a site's screening log (JSON)", per_site=True
    ),
    "api_screening_add": Rule(
        SITE_WRITERS, summary="screen a patient at a site (JSON)", per_site=True
    ),
    "api_eligibility": Rule(
        SITE_READERS, summary="an enrolled patient's eligibility (JSON)", per_site=True
    ),
    "api_eligibility_save": Rule(
        SITE_WRITERS, summary="assess an enrolled patient's eligibility (JSON)", per_site=True
    ),
    "api_randomize": Rule(
        SITE_WRITERS, summary="randomize an eligible patient (JSON)", per_site=True
    ),
    "api_participants": Rule(SITE_READERS, summary="a site's participants (JSON)", per_site=True),
    "api_unblind": Rule(INVESTIGATORS, summary="emergency unblinding (JSON)", per_site=True),
    "api_calendar": Rule(
        SITE_READERS, summary="a participant's visit calendar (JSON)", per_site=True
    ),
    "api_visit_record": Rule(
        SITE_WRITERS, summary="record the date of a visit (JSON)", per_site=True
    ),
    "api_assessment_save": Rule(
        SITE_WRITERS, summary="save a visit's assessment form (JSON)", per_site=True
    ),
    "api_grip": Rule(SITE_READERS, summary="a visit's grip, per hand (JSON)", per_site=True),
    "api_grip_save": Rule(SITE_WRITERS, summary="save a visit's grip form (JSON)", per_site=True),
    "api_infusions": Rule(
        SITE_READERS, summary="a participant's IVIg infusion log (JSON)", per_site=True
    ),
    "api_infusion_add": Rule(SITE_WRITERS, summary="log an IVIg infusion (JSON)", per_site=True),
    "api_infusion_correct": Rule(
        SITE_WRITERS, summary="correct a logged IVIg infusion, with a reason (JSON)", per_site=True
    ),
    **_record_api(),
    "api_overdue": Rule(SITE_READERS, summary="a site's overdue visits (JSON)", per_site=True),
    "api_action_items": Rule(
        SITE_READERS, summary="a site's open action items (JSON)", per_site=True
    ),
    "api_action_items_resolved": Rule(
        SITE_READERS,
        summary="a site's resolved action items: who, when, the resolution (JSON)",
        per_site=True,
    ),
    "api_participant_action_items": Rule(
        SITE_READERS, summary="a participant's action items (JSON)", per_site=True
    ),
    "api_lab_schedule": Rule(
        SITE_READERS, summary="a participant's lab schedule and samples due (JSON)", per_site=True
    ),
    "api_action_item_resolve": Rule(
        ITEM_RESOLVERS, summary="resolve an action item, with a resolution (JSON)", per_site=True
    ),
    "api_saes": Rule(
        SITE_READERS,
        summary="a site's serious adverse events and their clocks (JSON)",
        per_site=True,
    ),
    "api_sae": Rule(
        SITE_READERS, summary="a serious adverse event's clock and reports (JSON)", per_site=True
    ),
    "api_sae_report": Rule(
        SITE_WRITERS,
        summary="report a serious adverse event (initial, follow-up) (JSON)",
        per_site=True,
    ),
    "api_panel": Rule(
        SITE_READERS, summary="a participant's engine panel and decisions (JSON)", per_site=True
    ),
    "api_dose_decide": Rule(
        INVESTIGATORS, summary="accept or override the engine panel's dose (JSON)", per_site=True
    ),
    **_monitoring(),
}


def may(roles_at_site: set[Role], rule: Rule) -> bool:
    """Whether a user holding ``roles_at_site`` (where the route applies) may use it.

    >>> may({Role.STUDY_NURSE}, PERMISSIONS["screening_add"])
    True
    >>> may({Role.MONITOR}, PERMISSIONS["screening_add"])
    False
    """
    return rule.public or bool(roles_at_site & rule.roles)


def role_table() -> str:
    """The permission table as Markdown (docs/capture.md holds it; a test compares).

    One row per route that needs signing in, one column per role; ``own site`` marks a
    role that may use a per-site route only at the sites it holds the role at.
    """
    header = "| what | " + " | ".join(f"`{role.value}`" for role in Role) + " |"
    lines = [header, "|---" * (len(Role) + 1) + "|"]
    for name, rule in PERMISSIONS.items():
        if rule.public:
            continue
        cells = [
            ("own site" if rule.per_site and role in SITE_ROLES else "yes")
            if role in rule.roles
            else ""
            for role in Role
        ]
        lines.append(f"| {rule.summary} (`{name}`) | " + " | ".join(cells) + " |")
    return "\n".join(lines)
