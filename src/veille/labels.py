"""The words users see for the codes of the domain (message ids of the catalogue)."""

from __future__ import annotations

from veille.i18n import N_

LABELS: dict[str, dict[str, str]] = {
    "body_kind": {
        "watch_cell": N_("Territorial watch cell"),
        "nightlife_copil": N_("Night-life steering committee"),
        "crime_treatment_group": N_("Crime-treatment group (GLTD)"),
        "plenary": N_("Plenary council (CLSPD)"),
        "partnership_committee": N_("Partnership committee"),
        "thematic_group": N_("Thematic working group"),
        "other": N_("Other body"),
    },
    "body_status": {"active": N_("Active"), "closed": N_("Closed")},
    "cadence": {"monthly": N_("Monthly")},
    "member_role": {
        "chair": N_("Chair"),
        "secretary": N_("Secretary"),
        "member": N_("Member"),
        "guest": N_("Guest"),
    },
    "meeting_status": {
        "planned": N_("Planned"),
        "convened": N_("Convened"),
        "held": N_("Held"),
        "minutes_approved": N_("Minutes approved"),
        "cancelled": N_("Cancelled"),
    },
    "attendance": {
        "invited": N_("No answer yet"),
        "confirmed": N_("Will attend"),
        "excused": N_("Excused"),
        "represented": N_("Represented"),
        "present": N_("Present"),
        "absent": N_("Absent"),
    },
    "situation_status": {
        "open": N_("Open"),
        "monitoring": N_("Monitoring"),
        "resolved": N_("Resolved"),
    },
    "confidentiality": {
        "body": N_("Whole body"),
        "restricted": N_("Restricted"),
        "social": N_("Social"),
    },
    "confidentiality_help": {
        "body": N_("Every member of the body reads it. It must not name anyone."),
        "restricted": N_("The chair, the secretaries and the organisations named below."),
        "social": N_(
            "Only the social, mediation and health organisations named below; the others see "
            "that a coordination is needed, its sector and date."
        ),
    },
    "severity": {
        "1": N_("1 – Low"),
        "2": N_("2 – Moderate"),
        "3": N_("3 – High"),
        "4": N_("4 – Critical"),
    },
    "problem_status": {
        "scanning": N_("Scanning"),
        "analysis": N_("Analysis"),
        "response": N_("Response"),
        "assessment": N_("Assessment"),
        "closed": N_("Closed"),
    },
    "action_kind": {
        "preventive": N_("Preventive"),
        "deterrent": N_("Deterrent"),
        "repressive": N_("Repressive"),
    },
    "action_status": {
        "proposed": N_("Proposed"),
        "planned": N_("Planned"),
        "in_progress": N_("In progress"),
        "done": N_("Done"),
        "abandoned": N_("Abandoned"),
    },
    "action_move": {
        "proposed": N_("Propose"),
        "planned": N_("Plan"),
        "in_progress": N_("Start work"),
        "done": N_("Mark done"),
        "abandoned": N_("Abandon"),
    },
    "effect": {
        "positive": N_("Positive"),
        "mixed": N_("Mixed"),
        "none": N_("No effect"),
        "negative": N_("Negative"),
    },
    "user_role": {
        "admin": N_("Administrator"),
        "coordinator": N_("Coordinator"),
        "member": N_("Partner member"),
    },
    # Each language in its own name, whatever the page's: one who does not read it finds theirs.
    "language": {"fr": "Français", "en": "English"},
    "organisation_kind": {
        "police": N_("National police"),
        "municipal_police": N_("Municipal police"),
        "gendarmerie": N_("Gendarmerie"),
        "justice": N_("Justice"),
        "city": N_("City"),
        "housing_provider": N_("Social housing provider"),
        "transit": N_("Transit operator"),
        "social_services": N_("Social services"),
        "mediation": N_("Mediation"),
        "education": N_("Education"),
        "health": N_("Health"),
        "association": N_("Association"),
        "business": N_("Shopkeepers and businesses"),
        "residents": N_("Residents"),
        "other": N_("Other"),
    },
}
