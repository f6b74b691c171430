"""The demo data set: Valmont-sur-Loire, a fictional mid-size French city.

Every sector, organisation, person and body here is invented. The set is built only through the
services, so that it obeys the same rules (uniqueness, charters, audit) as what users enter, and
it gives each persona (admin, coordinator, chair, secretary, partner member, guest) an account to
explore the product with.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from veille.access import viewer_of
from veille.actions import service as actions
from veille.actions.enums import ActionKind, ActionStatus, Effect
from veille.actions.models import Action, ActionCreate, ActionEntry, ActionEntryIn, EvaluationIn, ReferIn
from veille.activity import counts as activity
from veille.bodies import charters, demo_territory
from veille.bodies import service as bodies
from veille.bodies.enums import BodyKind, Cadence, MemberRole
from veille.bodies.models import Body, BodyCreate
from veille.config import Settings
from veille.directory import service as directory
from veille.directory.enums import Language, OrganisationKind, UserRole
from veille.directory.models import (
    Organisation,
    OrganisationCreate,
    Sector,
    SectorCreate,
    User,
    UserCreate,
)
from veille.meetings import access as meeting_access
from veille.meetings import agenda as meeting_agenda
from veille.meetings import attendance as meeting_attendance
from veille.meetings import minutes as meeting_minutes
from veille.meetings import scheduling as meeting_scheduling
from veille.meetings.enums import AttendanceStatus, StandingItem
from veille.meetings.models import AgendaItemIn, AttendanceIn, MeetingIn, NotesIn, RoundTableIn
from veille.meetings.rule_days import working_day_from
from veille.orm import utcnow
from veille.paths import PACKAGE_DIR
from veille.situations import demo_map, demo_referral, problems, reports, visibility
from veille.situations.enums import Confidentiality, ProblemStatus, SituationStatus
from veille.situations.models import Problem, ProblemCreate, Situation, SituationCreate, SituationUpdateIn
from veille.strategy.demo_data import load_strategy
from veille.venues import service as venues
from veille.venues.models import ArticleIn, SignatureIn, VenueIn

CITY = "Valmont-sur-Loire"
DEMO_PASSWORD = "veille-demo-2026"  # noqa: S105  (printed to the operator: a demo, not a secret)
DOMAIN = "valmont.example"


@dataclass(frozen=True)
class DemoAccount:
    """One demo login, as printed to whoever starts the demo."""

    role: str
    email: str
    name: str
    sees: str
    password: str = DEMO_PASSWORD


def is_empty(session: Session) -> bool:
    """No account yet: the demo may only go into such a database."""
    return session.exec(select(User.id).limit(1)).first() is None


def is_loaded(session: Session) -> bool:
    """The demo accounts are there (a previous ``serve --demo`` on the same database)."""
    admin = _email(PEOPLE[0].email_local)
    return session.exec(select(User.id).where(User.email == admin)).first() is not None


def _email(local: str) -> str:
    return f"{local}@{DOMAIN}"


# The city's map: name, code.
SECTORS: dict[str, tuple[str, str]] = {
    "centre": ("Centre-ville", "CENTRE"),
    "nord": ("Quartier Nord / Les Tilleuls", "NORD"),
    "sud": ("Quartier Sud / La Roseraie", "SUD"),
    "gare": ("Gare et faubourgs", "GARE"),
    "loire": ("Bords de Loire", "LOIRE"),
}

# The partners: name, kind. The first one is created before any account exists.
ORGANISATIONS: dict[str, tuple[str, OrganisationKind]] = {
    "it": (f"Ville de {CITY} – direction du numérique", OrganisationKind.city),
    "cabinet": ("Mairie – cabinet du maire", OrganisationKind.city),
    "prevention": ("Mairie – service prévention-médiation", OrganisationKind.city),
    "pm": (f"Police municipale de {CITY}", OrganisationKind.municipal_police),
    "pn": (f"Commissariat de police nationale de {CITY}", OrganisationKind.police),
    "parquet": (f"Parquet – tribunal judiciaire de {CITY}", OrganisationKind.justice),
    "spip": ("Service pénitentiaire d'insertion et de probation (SPIP)", OrganisationKind.justice),
    "housing": ("Loire Habitat", OrganisationKind.housing_provider),
    "transit": ("Valmont Mobilités", OrganisationKind.transit),
    "social": (
        "Conseil départemental – action sociale, maison des solidarités",
        OrganisationKind.social_services,
    ),
    "mediation": ("Médiaction Valmont – médiation sociale", OrganisationKind.mediation),
    "outreach": (
        "Équipe de prévention spécialisée « Les Passeurs » – travailleurs de rue",
        OrganisationKind.social_services,
    ),
    "school": ("Collège des Tilleuls", OrganisationKind.education),
    "health": ("Centre hospitalier de Valmont – CSAPA", OrganisationKind.health),
    "shops": ("Association des commerçants « Cœur de Valmont »", OrganisationKind.business),
    "night": ("Union des métiers de la nuit de Valmont", OrganisationKind.business),
    "residents": ("Conseil citoyen Les Tilleuls – La Roseraie", OrganisationKind.residents),
    "victims": (
        "Association valmontaise d'aide aux victimes (AVAV)",
        OrganisationKind.association,
    ),
    "staubin": (f"Mairie de {demo_territory.NEIGHBOUR}", OrganisationKind.city),
}


@dataclass(frozen=True)
class _Person:
    key: str
    name: str
    email_local: str
    organisation: str
    role: UserRole
    label: str
    sees: str


PEOPLE: tuple[_Person, ...] = (
    _Person(
        "admin",
        "Julien Roche",
        "julien.roche",
        "it",
        UserRole.admin,
        "Admin (city IT)",
        "Accounts, sectors, organisations, the audit log; every body.",
    ),
    _Person(
        "coordinator",
        "Claire Martin",
        "claire.martin",
        "prevention",
        UserRole.coordinator,
        "Coordinator",
        "Prevention-mediation service: sets up sectors and bodies, sees every body; "
        "secretary of the plenary and of the GLTD, chairs the Tilleuls meeting.",
    ),
    _Person(
        "chair",
        "Hélène Garnier",
        "helene.garnier",
        "cabinet",
        UserRole.member,
        "Chair (deputy mayor)",
        "Deputy mayor for security: chairs the five watch cells, the night-life COPIL, the CLSPD "
        "plenary and the thematic group on domestic violence; member of the GLTD.",
    ),
    _Person(
        "secretary",
        "Karim Benali",
        "karim.benali",
        "prevention",
        UserRole.member,
        "Secretary",
        "Prevention-mediation officer: secretary of the five watch cells and of the night-life COPIL.",
    ),
    _Person(
        "prosecutor",
        "Isabelle Moreau",
        "isabelle.moreau",
        "parquet",
        UserRole.member,
        "Chair (prosecutor)",
        "Prosecutor's representative: chairs the GLTD Quartier Nord; member of the CLSPD plenary.",
    ),
    _Person(
        "police",
        "Thomas Girard",
        "thomas.girard",
        "pn",
        UserRole.member,
        "Member (national police)",
        f"The five watch cells and {demo_territory.NEIGHBOUR}'s, the COPIL, the GLTD, the plenary, "
        "the Tilleuls meeting, the thematic group on domestic violence; chairs the Gare "
        "partnership committee.",
    ),
    _Person(
        "municipal",
        "Sophie Lambert",
        "sophie.lambert",
        "pm",
        UserRole.member,
        "Member (municipal police)",
        "The five watch cells, the COPIL, the GLTD, the plenary, the Gare committee and the "
        "Tilleuls meeting.",
    ),
    _Person(
        "housing",
        "Nadia Haddad",
        "nadia.haddad",
        "housing",
        UserRole.member,
        "Member (social housing)",
        "Watch cells Nord and Sud, the GLTD, the plenary and the Tilleuls meeting.",
    ),
    _Person(
        "transit",
        "Olivier Dubois",
        "olivier.dubois",
        "transit",
        UserRole.member,
        "Member (transit, new)",
        "Watch cells Centre-ville and Gare, the Gare committee, the plenary; the COPIL first "
        "shows its charter (not accepted yet).",
    ),
    _Person(
        "social",
        "Amina Diallo",
        "amina.diallo",
        "social",
        UserRole.member,
        "Member (social services)",
        "Watch cells Nord and Sud, the GLTD, the plenary and the thematic group on domestic violence.",
    ),
    _Person(
        "mediation",
        "Lucas Petit",
        "lucas.petit",
        "mediation",
        UserRole.member,
        "Member (mediation)",
        "Watch cells Centre-ville, Nord and Gare, the COPIL, the GLTD, the plenary, the Gare "
        "committee and the thematic group on domestic violence; keeps his team's monthly "
        "activity figures (2013–2016).",
    ),
    _Person(
        "guest",
        "Marc Fontaine",
        "marc.fontaine",
        "shops",
        UserRole.member,
        "Guest (shopkeepers)",
        "Guest of the night-life COPIL only: the agendas of the meetings he is invited to.",
    ),
    _Person(
        "staubin_mayor",
        "Bernard Lefèvre",
        "bernard.lefevre",
        "staubin",
        UserRole.member,
        "Chair (mayor of the neighbouring commune)",
        f"Mayor of {demo_territory.NEIGHBOUR}: chairs its watch cell; member of the intercommunal plenary.",
    ),
    _Person(
        "local_coordinator",
        "Élodie Vasseur",
        "elodie.vasseur",
        "prevention",
        UserRole.coordinator,
        f"Coordinator limited to {CITY}",
        f"Sees and sets up only the bodies of {CITY}'s sectors (secretary of the thematic group on "
        f"domestic violence); {demo_territory.NEIGHBOUR}'s cell and the plenary answer 404.",
    ),
)

# The COPIL's own charter: what its members commit to (confidentiality, use of what they learn).
# The venues' charter is another text, its articles below (CHARTER_ARTICLES).
COPIL_MEMBERS_CHARTER = """\
Charte des membres du comité de pilotage de la charte de la vie nocturne

Article 1 – Objet. La présente charte fixe les engagements de chaque membre du comité de \
pilotage (Ville, services de l'État, police nationale et municipale, transporteurs, \
associations) : ce qu'il peut faire des informations partagées en comité et dans Veille. Elle \
ne s'adresse pas aux établissements, qui signent la charte de la vie nocturne.

Article 2 – Confidentialité. Les faits et informations échangés au sein du comité sont \
confidentiels (article L132-5 du code de la sécurité intérieure) : ils ne peuvent être \
communiqués à des tiers, y compris aux exploitants d'établissements, et ne sont pas repris \
dans une communication publique.

Article 3 – Usage des informations. Chaque membre n'utilise les informations reçues que pour \
les actions de prévention décidées par le comité ou relevant de sa mission. Il n'en fait ni \
copie ni transfert hors de Veille, sauf les documents que le comité diffuse lui-même.

Article 4 – Données personnelles. Les signalements décrivent des faits et des lieux ; aucune \
personne n'y est nommée ni reconnaissable hors des cas strictement nécessaires, qui sont alors \
signalés en diffusion restreinte. Aucune donnée sensible (santé, origine, opinions) n'est \
saisie.

Article 5 – Représentation. Le membre qui se fait représenter en réunion s'assure que son \
représentant connaît et respecte la présente charte.

Article 6 – Manquements. Un membre qui manque à ces engagements peut être exclu du comité par \
son président ; l'exclusion et son motif sont tracés.
"""


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


@dataclass(frozen=True)
class _BodySpec:
    key: str
    kind: BodyKind
    name: str
    description: str
    sectors: tuple[str, ...]
    starts_on: date | None
    ends_on: date | None = None
    cadence: Cadence | None = None
    charter_required: bool = False


_WATCH_CELL_FOCUS = {
    "centre": (
        "Suivi des incivilités et des tensions sur l'espace public du centre-ville : rues "
        "piétonnes, places et parkings, marché du samedi, occupations de halls d'immeubles."
    ),
    "nord": (
        "Suivi de la tranquillité résidentielle des Tilleuls : rassemblements dans les halls, "
        "dégradations des parties communes, rodéos motorisés, climat autour du collège."
    ),
    "sud": (
        "Suivi du quartier de La Roseraie : troubles de voisinage, dépôts sauvages, sécurité "
        "des abords de l'école et du centre social, présence éducative le soir."
    ),
    "gare": (
        "Suivi du pôle gare et des faubourgs : vols à l'arraché, errance, sécurité des quais "
        "de bus et du parking relais, commerces de proximité ouverts tard."
    ),
    "loire": (
        "Suivi des bords de Loire : rassemblements festifs l'été, baignades interdites, feux "
        "sur les berges, dépôts de déchets et sécurité des cheminements piétons."
    ),
}


def _bodies(today: date) -> list[_BodySpec]:
    since = date(today.year - 1, 1, 1)
    gltd_start = _add_months(today.replace(day=1), -2)
    specs = [
        _BodySpec(
            key=f"cell-{sector}",
            kind=BodyKind.watch_cell,
            name=f"Cellule de veille – {SECTORS[sector][0]}",
            description=(
                f"{focus} Échange d'informations entre partenaires, analyse de la situation et "
                "programmation d'actions de prévention, de dissuasion ou de répression adaptées."
            ),
            sectors=(sector,),
            starts_on=since,
            cadence=Cadence.monthly,
        )
        for sector, focus in _WATCH_CELL_FOCUS.items()
    ]
    specs += [
        _BodySpec(
            key="copil",
            kind=BodyKind.nightlife_copil,
            name="COPIL Vie nocturne – centre-ville",
            description=(
                "Comité de pilotage de la charte de la vie nocturne : suivi des engagements des "
                "établissements signataires et des partenaires, des faits constatés à leurs "
                "abords et des nuisances signalées par les riverains du centre-ville."
            ),
            sectors=("centre",),
            starts_on=since,
            cadence=Cadence.monthly,
            charter_required=True,
        ),
        _BodySpec(
            key="gltd",
            kind=BodyKind.crime_treatment_group,
            name="GLTD Quartier Nord – Les Tilleuls",
            description=(
                "Groupe local de traitement de la délinquance réuni par le parquet sur le "
                "secteur des Tilleuls, pour une durée de six mois : trafic de stupéfiants aux "
                "pieds des immeubles, occupations de halls et dégradations. Toute action doit "
                "être achevée avant la fin du groupe, qui rendra alors son bilan."
            ),
            sectors=("nord",),
            starts_on=gltd_start,
            ends_on=_add_months(gltd_start, 6),
        ),
        _BodySpec(
            key="plenary",
            kind=BodyKind.plenary,
            name="CLSPD – assemblée plénière",
            description=(
                "Conseil local de sécurité et de prévention de la délinquance de "
                f"{CITY}, réuni en assemblée plénière une à deux fois par an : orientations de "
                "la stratégie territoriale, travaux thématiques et bilan annuel. Aucun fait "
                "concernant une personne nommée n'y est évoqué."
            ),
            sectors=(),
            starts_on=date(today.year - 2, 1, 1),
        ),
        _BodySpec(
            key="committee",
            kind=BodyKind.partnership_committee,
            name="Comité partenarial Gare et faubourgs",
            description=(
                "Rencontre de la police nationale, de la police municipale, du transporteur et "
                "de la médiation autour du pôle gare, réunie selon les besoins."
            ),
            sectors=("gare",),
            starts_on=since,
        ),
        _BodySpec(
            key="other",
            kind=BodyKind.other,
            name="Prévention situationnelle – réhabilitation de la résidence des Tilleuls",
            description=(
                "Réunion d'étude de sûreté et de sécurité publique sur le projet de "
                "réhabilitation de la résidence des Tilleuls : contrôle d'accès des halls, "
                "éclairage, résidentialisation des pieds d'immeubles, cheminements."
            ),
            sectors=("nord",),
            starts_on=_add_months(today.replace(day=1), -1),
        ),
    ]
    return specs


_CELL_CORE = (("chair", MemberRole.chair), ("secretary", MemberRole.secretary))
_CELL_PARTNERS = {
    "centre": ("police", "municipal", "mediation", "transit"),
    "nord": ("police", "municipal", "housing", "social", "mediation"),
    "sud": ("police", "municipal", "housing", "social"),
    "gare": ("police", "municipal", "transit", "mediation"),
    "loire": ("police", "municipal"),
}


def _memberships() -> dict[str, list[tuple[str, MemberRole]]]:
    member = MemberRole.member
    plan: dict[str, list[tuple[str, MemberRole]]] = {
        f"cell-{sector}": [*_CELL_CORE, *((p, member) for p in partners)]
        for sector, partners in _CELL_PARTNERS.items()
    }
    plan["copil"] = [
        *_CELL_CORE,
        ("police", member),
        ("municipal", member),
        ("mediation", member),
        ("transit", member),
        ("guest", MemberRole.guest),
    ]
    plan["gltd"] = [
        ("prosecutor", MemberRole.chair),
        ("coordinator", MemberRole.secretary),
        ("chair", member),
        ("police", member),
        ("municipal", member),
        ("housing", member),
        ("social", member),
        ("mediation", member),
    ]
    plan["plenary"] = [
        ("chair", MemberRole.chair),
        ("coordinator", MemberRole.secretary),
        *(
            (key, member)
            for key in (
                "prosecutor",
                "police",
                "municipal",
                "housing",
                "transit",
                "social",
                "mediation",
            )
        ),
    ]
    plan["committee"] = [
        ("police", MemberRole.chair),
        ("municipal", member),
        ("transit", member),
        ("mediation", member),
    ]
    plan["other"] = [
        ("coordinator", MemberRole.chair),
        ("housing", member),
        ("police", member),
        ("municipal", member),
    ]
    return plan


# The member of the COPIL who has not accepted its charter yet, to show the charter gate.
CHARTER_NEWCOMER = "transit"


def accounts() -> list[DemoAccount]:
    """The demo logins, in the order they are printed."""
    return [DemoAccount(p.label, _email(p.email_local), p.name, p.sees) for p in PEOPLE]


def load_demo(session: Session, settings: Settings, *, today: date | None = None) -> list[DemoAccount]:
    """Fills an empty database with Valmont-sur-Loire; answers the accounts to print. Its
    meetings are dated from now, so that the next one is always ahead."""
    today = today or date.today()
    organisations = _load_organisations(session)
    users = _load_users(session, organisations)
    admin = users["admin"]
    sectors = {
        key: directory.save_sector(session, actor=admin, data=SectorCreate(name=name, code=code))
        for key, (name, code) in SECTORS.items()
    }
    demo_map.outline_sectors(session, admin, sectors)
    neighbour_sector = demo_territory.load_communes(session, admin, CITY)
    plan = _memberships()
    loaded: dict[str, Body] = {}
    for spec in _bodies(today):
        body = _load_body(session, admin, spec, sectors)
        loaded[spec.key] = body
        _load_members(session, admin, body, plan[spec.key], users)
        if spec.key == "cell-centre":
            _load_meetings(session, settings, body, plan[spec.key], users)
        if spec.key == "copil":
            _load_venues(session, body, users["secretary"], today)
    demo_territory.load_bodies(
        session, admin, users, neighbour_sector, list(sectors.values()), loaded["plenary"]
    )
    reports = _load_reports(session, loaded, users, sectors, organisations)
    demo_map.load_mapped_reports(session, users, loaded)
    _load_actions(session, settings, today, loaded, users, organisations, reports)
    # The Nord cell's meeting rule, and its rodeo report referred to the GLTD on its own.
    demo_referral.set_rule(session, users["secretary"], loaded["cell-nord"])
    demo_referral.refer(session, users["chair"], reports[_RODEOS], loaded["gltd"], settings)
    # The plenary's local strategy, set up by its secretary (the coordinator).
    load_strategy(session, viewer_of(session, users["coordinator"]), loaded["plenary"], loaded, today)
    _load_activity_figures(session, users["mediation"], organisations["mediation"], today)
    return accounts()


def _load_organisations(session: Session) -> dict[str, Organisation]:
    actor = None
    found: dict[str, Organisation] = {}
    for key, (name, kind) in ORGANISATIONS.items():
        data = OrganisationCreate(name=name, kind=kind)
        found[key] = directory.save_organisation(session, actor=actor, data=data)
    return found


def _load_users(session: Session, organisations: dict[str, Organisation]) -> dict[str, User]:
    """The admin first, with no actor (as from the command line), then the others by them."""
    users: dict[str, User] = {}
    for person in PEOPLE:
        organisation_id = organisations[person.organisation].id
        assert organisation_id is not None
        data = UserCreate(
            email=_email(person.email_local),
            name=person.name,
            organisation_id=organisation_id,
            role=person.role,
            language=Language.fr,
            password=DEMO_PASSWORD,
        )
        users[person.key] = directory.create_user(session, actor=users.get("admin"), data=data)
    return users


def _load_body(session: Session, admin: User, spec: _BodySpec, sectors: dict[str, Sector]) -> Body:
    sector_ids = [sectors[key].id for key in spec.sectors]
    data = BodyCreate(
        kind=spec.kind,
        name=spec.name,
        description=spec.description,
        starts_on=spec.starts_on,
        ends_on=spec.ends_on,
        cadence=spec.cadence,
        charter_required=spec.charter_required,
        sector_ids=[i for i in sector_ids if i is not None],
    )
    body = bodies.create_body(session, actor=admin, data=data)
    if spec.charter_required:
        assert body.id is not None
        access = bodies.get_body_access(session, admin, body.id)
        charters.set_charter(session, access=access, text=COPIL_MEMBERS_CHARTER.strip(), version=None)
    return body


def _load_members(
    session: Session,
    admin: User,
    body: Body,
    members: list[tuple[str, MemberRole]],
    users: dict[str, User],
) -> None:
    assert body.id is not None
    access = bodies.get_body_access(session, admin, body.id)
    for key, role in members:
        user_id = users[key].id
        assert user_id is not None
        bodies.set_member(session, access=access, user_id=user_id, role=role)
    if not body.charter_required:
        return
    for key, _role in members:
        if key != CHARTER_NEWCOMER:
            member_access = bodies.get_body_access(session, users[key], body.id)
            charters.accept_charter(session, access=member_access)


# The night-life charter that the venues of the centre sign (README.md, Reports and problem files),
# and those venues.
CHARTER_ARTICLES: tuple[tuple[str, str], ...] = (
    (
        "Niveaux sonores maîtrisés",
        "L'établissement respecte les niveaux sonores réglementaires de la musique amplifiée "
        "(102 dB(A) et 118 dB(C) sur 15 minutes), équipe sa sonorisation d'un limiteur scellé et "
        "tient à jour son étude d'impact des nuisances sonores. Portes et fenêtres restent fermées "
        "pendant la diffusion de musique.",
    ),
    (
        "Personnel formé",
        "Le responsable détient le permis d'exploitation ; le personnel de salle et de sécurité est "
        "formé à la prévention des conduites à risque, à la gestion des conflits et à l'accueil des "
        "victimes de violences sexistes et sexuelles (dispositif « Demandez Angela »).",
    ),
    (
        "Prévention de l'alcoolisation excessive",
        "Pas de vente d'alcool à une personne manifestement ivre ni aux mineurs ; eau gratuite et "
        "boissons sans alcool à prix modéré ; pas d'« happy hour » après minuit ; promotion du "
        "« capitaine de soirée » et éthylotests à disposition de la clientèle.",
    ),
    (
        "Coopération avec les forces de l'ordre",
        "L'exploitant signale sans délai à la police nationale ou à la police municipale tout fait "
        "de violence, de trafic ou de trouble grave, facilite l'intervention des agents et conserve "
        "les images de vidéoprotection dans le respect de la réglementation.",
    ),
    (
        "Calme à la fermeture",
        "Le volume baisse progressivement dans la demi-heure qui précède la fermeture ; les "
        "terrasses sont rangées à l'heure fixée par l'arrêté municipal ; du personnel se tient à "
        "la sortie pour inviter la clientèle à partir dans le calme et à respecter le sommeil des "
        "riverains.",
    ),
    (
        "Abords et propreté",
        "Les fumeurs sont accueillis sans attroupement sur la chaussée, des cendriers sont mis à "
        "disposition, les abords sont nettoyés à la fermeture et aucune boisson alcoolisée n'est "
        "vendue à emporter en verre après 22 h.",
    ),
    (
        "Suivi et retrait",
        "L'établissement participe au bilan annuel du comité de pilotage. Après des manquements "
        "répétés constatés par le comité, le retrait de la signature est acté, sans préjudice des "
        "mesures administratives prévues par la loi.",
    ),
)


@dataclass(frozen=True)
class _Venue:
    name: str
    kind: str
    address: str
    signed_months_ago: int | None
    withdrawn_months_ago: int | None = None
    notes: str = ""


VENUES = (
    _Venue("Le Comptoir des Halles", "Bar", "4 place des Halles", 14),
    _Venue(
        "L'Entrepôt",
        "Discothèque",
        "18 quai de la Loire",
        14,
        notes="Ouvert du jeudi au samedi, de 23 h à 5 h. Agents de sécurité en sortie.",
    ),
    _Venue("La Cave à Léon", "Bar à vins", "9 rue des Tanneurs", 8),
    _Venue(
        "Le Phare",
        "Bar de nuit",
        "27 rue Nationale",
        14,
        withdrawn_months_ago=3,
        notes="Retrait acté par le comité après des plaintes répétées pour bruit à la fermeture. "
        "Nouveau gérant depuis janvier : reprise de contact prévue.",
    ),
    _Venue("Brasserie du Théâtre", "Restaurant", "1 place du Théâtre", 6),
    _Venue(
        "Le Saint-Pierre",
        "Bar",
        "12 rue Saint-Pierre",
        None,
        notes="Relancé par la médiation de nuit ; rendez-vous avec le gérant à fixer.",
    ),
)


def _months_ago(today: date, months: int) -> date:
    return _add_months(today.replace(day=1), -months).replace(day=min(today.day, 28))


def _load_venues(session: Session, body: Body, secretary: User, today: date) -> None:
    """The night-life charter's articles (what the venues commit to; the COPIL members' own
    charter is COPIL_MEMBERS_CHARTER) and the venues of the centre, entered by its secretary:
    four that signed, one that withdrew, one that has not signed."""
    assert body.id is not None
    access = bodies.get_body_access(session, secretary, body.id)
    for title, text in CHARTER_ARTICLES:
        venues.add_article(session, access=access, data=ArticleIn(title=title, text=text))
    for spec in VENUES:
        signed_on = None if spec.signed_months_ago is None else _months_ago(today, spec.signed_months_ago)
        data = VenueIn(
            name=spec.name, kind=spec.kind, address=spec.address, signed_on=signed_on, notes=spec.notes
        )
        venue = venues.create_venue(session, access=access, data=data, today=today)
        if spec.withdrawn_months_ago is not None:
            assert venue.id is not None
            day = _months_ago(today, spec.withdrawn_months_ago)
            venue_access = venues.get_venue(session, secretary, venue.id)
            venues.withdraw(
                session, access=venue_access, data=SignatureIn(day=day, version=venue.version), today=today
            )


_TOWN_HALL = "Hôtel de ville, salle des commissions"
_PAST_NOTES = {
    StandingItem.round_table: (
        "Police nationale : hausse des regroupements rue des Halles après 22 h. Médiation : "
        "contacts réguliers avec les jeunes du square Voltaire. Transports : deux agressions "
        "verbales de conducteurs sur la ligne 3.",
        "",
    ),
    StandingItem.actions_follow_up: (
        "Les rondes de la police municipale le vendredi soir sont en place depuis trois semaines.",
        "Prolonger les rondes du vendredi jusqu'à la fin du trimestre.",
    ),
    StandingItem.new_reports: (
        # The cell's first meeting held in Veille: no report had been posted before it.
        "Première cellule tenue dans Veille : les partenaires y publieront désormais leurs "
        "signalements. La police nationale évoque deux regroupements sur le parking du marché.",
        "",
    ),
}


def _meeting_times(settings: Settings, days: int) -> MeetingIn:
    """A meeting about ``days`` from today, on a working day (not a Saturday, nor 11 November)."""
    day = working_day_from((utcnow().astimezone(settings.tz) + timedelta(days=days)).date())
    starts_at = datetime.combine(day, time(14), tzinfo=settings.tz)
    return MeetingIn(starts_at=starts_at, ends_at=starts_at + timedelta(hours=2), location=_TOWN_HALL)


def _load_meetings(
    session: Session,
    settings: Settings,
    body: Body,
    members: list[tuple[str, MemberRole]],
    users: dict[str, User],
) -> None:
    """The centre watch cell's last meeting (minutes approved), its next one (convened, with
    answers and round-table updates) and the one after (planned)."""
    assert body.id is not None
    secretary = users["secretary"]
    body_access = bodies.get_body_access(session, secretary, body.id)

    past = meeting_scheduling.create_meeting(session, access=body_access, data=_meeting_times(settings, -26))
    assert past.id is not None
    access = meeting_access.get_meeting_access(session, viewer_of(session, secretary), past.id)
    answers = {"transit": AttendanceIn(status=AttendanceStatus.excused)}
    answers["mediation"] = AttendanceIn(status=AttendanceStatus.represented, represented_by="Yanis Haddad")
    invited = {key: users[key].id for key, role in members if role != MemberRole.guest}
    for user_id in invited.values():
        assert user_id is not None
        meeting_attendance.invite_guest(session, access=access, user_id=user_id, settings=settings)
    for key, user_id in invited.items():
        answer = answers.get(key, AttendanceIn(status=AttendanceStatus.present))
        meeting_attendance.set_attendance(session, access=access, user_id=user_id or 0, data=answer)
    for item in meeting_agenda.agenda(session, access=access):
        if item.standing is None:
            continue
        notes, decisions = _PAST_NOTES[item.standing]
        meeting_agenda.save_notes(
            session,
            access=access,
            item=item,
            data=NotesIn(notes=notes, decisions=decisions, version=item.version),
        )
    hall = meeting_agenda.add_item(
        session,
        access=access,
        data=AgendaItemIn(title="Occupation du hall, 12 rue des Acacias", presenter="Valoire Habitat"),
    )
    meeting_agenda.save_notes(
        session,
        access=access,
        item=hall,
        data=NotesIn(
            notes="Situation individuelle évoquée entre partenaires : ne pas diffuser hors de la cellule.",
            decisions="Rencontre du bailleur et de la médiation avec les locataires avant la cellule.",
            confidential=True,
            version=hall.version,
        ),
    )
    meeting_minutes.approve(session, access=access, settings=settings)

    upcoming = meeting_scheduling.create_meeting(
        session, access=body_access, data=_meeting_times(settings, 5)
    )
    assert upcoming.id is not None
    access = meeting_access.get_meeting_access(session, viewer_of(session, secretary), upcoming.id)
    meeting_agenda.add_item(
        session,
        access=access,
        data=AgendaItemIn(
            title="Rodéos motorisés sur le parking du marché",
            description="Point de situation et pistes : aménagement, présence renforcée le dimanche.",
            presenter="Police municipale",
        ),
    )
    meeting_scheduling.convene(session, access=access, settings=settings)
    for key, status in (("police", AttendanceStatus.confirmed), ("transit", AttendanceStatus.excused)):
        member_viewer = viewer_of(session, users[key])
        member_access = meeting_access.get_meeting_access(session, member_viewer, upcoming.id)
        user_id = users[key].id
        assert user_id is not None
        meeting_attendance.set_attendance(
            session, access=member_access, user_id=user_id, data=AttendanceIn(status=status)
        )
    for key, update in (
        (
            "police",
            RoundTableIn(seen="Trois rodéos signalés le dimanche soir.", needs="Un arrêté de stationnement."),
        ),
        (
            "mediation",
            RoundTableIn(seen="Moins de regroupements square Voltaire.", done="Deux maraudes par semaine."),
        ),
    ):
        member_viewer = viewer_of(session, users[key])
        meeting_attendance.save_round_table(
            session,
            access=meeting_access.get_meeting_access(session, member_viewer, upcoming.id),
            data=update,
        )
    meeting_scheduling.create_meeting(session, access=body_access, data=_meeting_times(settings, 33))


@dataclass(frozen=True)
class _Report:
    body: str
    author: str
    title: str
    description: str
    category: str
    sector: str
    place: str
    days_ago: int
    severity: int
    confidentiality: Confidentiality = Confidentiality.body
    shared_with: tuple[str, ...] = ()
    names_person: bool = False
    updates: tuple[tuple[str, str], ...] = ()
    status: SituationStatus | None = None


REPORTS = (
    _Report(
        "cell-nord",
        "housing",
        "Hall du 12 rue des Tilleuls occupé chaque soir",
        "Regroupements de 8 à 15 jeunes dans le hall à partir de 21 h : bruit, odeurs de cannabis, "
        "portes forcées. Les locataires n'osent plus rentrer.",
        "hall_occupation",
        "nord",
        "12 rue des Tilleuls, hall A",
        9,
        3,
        updates=(("police", "Patrouille à 22 h 15 : dispersion du groupe, pas d'interpellation."),),
    ),
    _Report(
        "cell-nord",
        "police",
        "Point de vente présumé au pied du bâtiment C",
        "Va-et-vient constant entre 17 h et 23 h, guetteurs identifiés. Enquête en cours : ne pas "
        "intervenir sans l'accord du commissariat.",
        "drug_dealing",
        "nord",
        "Résidence des Tilleuls, bâtiment C",
        6,
        4,
        confidentiality=Confidentiality.restricted,
        shared_with=("housing",),
        names_person=True,
    ),
    _Report(
        "cell-nord",
        "social",
        "Famille en grande difficulté signalée par le collège",
        "Deux enfants souvent seuls le soir, absentéisme. Suivi proposé avec la médiation sociale.",
        "vulnerable_person",
        "nord",
        "Quartier des Tilleuls",
        4,
        3,
        confidentiality=Confidentiality.social,
        shared_with=("mediation",),
        names_person=True,
    ),
    _Report(
        "cell-nord",
        "municipal",
        "Rodéos de motos sur le parking du centre commercial",
        "Quatre à six motos non immatriculées le dimanche après-midi, vitesse élevée près des familles.",
        "urban_rodeo",
        "nord",
        "Parking du centre commercial des Tilleuls",
        12,
        3,
        status=SituationStatus.monitoring,
    ),
    _Report(
        "cell-nord",
        "mediation",
        "Boîtes aux lettres dégradées, bâtiment C",
        "Boîtes aux lettres arrachées pour la troisième fois ce mois-ci ; les locataires ne reçoivent "
        "plus leur courrier.",
        "public_space_damage",
        "nord",
        "Résidence des Tilleuls, bâtiment C",
        3,
        2,
        updates=(("housing", "Remplacement commandé, pose prévue sous quinze jours."),),
    ),
    _Report(
        "cell-centre",
        "transit",
        "Regroupements bruyants à l'arrêt de tram Place du Marché",
        "Après 1 h, groupes alcoolisés sur le quai, insultes envers les conducteurs du dernier tram.",
        "noise_nightlife",
        "centre",
        "Arrêt de tram Place du Marché",
        5,
        2,
    ),
    _Report(
        "cell-centre",
        "municipal",
        "Stationnement dangereux devant l'école Jules-Ferry",
        "Voitures en double file aux heures d'entrée et de sortie, enfants qui traversent entre elles.",
        "road_safety",
        "centre",
        "Rue Jules-Ferry",
        20,
        2,
        status=SituationStatus.resolved,
        updates=(("municipal", "Présence d'un agent aux heures de sortie pendant deux semaines : réglé."),),
    ),
)


def _load_reports(
    session: Session,
    loaded: dict[str, Body],
    users: dict[str, User],
    sectors: dict[str, Sector],
    organisations: dict[str, Organisation],
) -> dict[str, Situation]:
    """Reports of the watch cells, one of each confidentiality class, with updates, grouped in
    a problem file, posted through the services as partners would."""
    posted: dict[str, Situation] = {}
    now = utcnow()
    for spec in REPORTS:
        author = users[spec.author]
        data = SituationCreate(
            body_id=loaded[spec.body].id or 0,
            title=spec.title,
            description=spec.description,
            category=spec.category,
            sector_id=sectors[spec.sector].id,
            place=spec.place,
            occurred_at=now - timedelta(days=spec.days_ago, hours=3),
            severity=spec.severity,
            confidentiality=spec.confidentiality,
            shared_with_organisation_ids=[organisations[key].id or 0 for key in spec.shared_with],
            names_person=spec.names_person,
        )
        data = demo_map.placed(data, spec.sector)
        situation = reports.create_situation(session, user=author, data=data)
        session.commit()
        for key, text in spec.updates:
            access = visibility.get_situation(session, viewer_of(session, users[key]), situation.id or 0)
            reports.add_update(session, access=access, data=SituationUpdateIn(text=text))
        if spec.status is not None:
            access = visibility.get_situation(session, viewer_of(session, author), situation.id or 0)
            reports.set_status(session, access=access, status=spec.status, version=situation.version)
        session.commit()
        posted[spec.title] = situation
    nord = [s for s in posted.values() if s.body_id == loaded["cell-nord"].id and "bâtiment C" in s.place]
    problems.create_problem(
        session,
        viewer=viewer_of(session, users["secretary"]),
        data=ProblemCreate(
            body_id=loaded["cell-nord"].id or 0,
            title="Résidence des Tilleuls, bâtiment C",
            analysis=(
                "Le trafic au pied du bâtiment C attire des regroupements et entretient les "
                "dégradations. Accès libre au bâtiment (porte forcée), éclairage insuffisant."
            ),
            status=ProblemStatus.analysis,
            situation_ids=[s.id or 0 for s in nord],
        ),
    )
    session.commit()
    return posted


# Actions of the Nord watch cell and of the GLTD: each kind and status, an overdue one, one led by
# an organisation without accounts (the secretaries update it for it), one done and evaluated,
# one referred from the cell to the GLTD. Dated from ``today``, their history spread over months.


@dataclass(frozen=True)
class _Step:
    """A dated line of an action's history, written by ``author``: an update (``text`` and
    ``progress``), a status move, an evaluation, or a referral to another body."""

    days_ago: int
    author: str
    text: str = ""
    progress: int | None = None
    status: ActionStatus | None = None
    evaluation: EvaluationIn | None = None
    refer_to: str | None = None


@dataclass(frozen=True)
class _ActionSpec:
    body: str
    author: str
    title: str
    description: str
    kind: ActionKind
    lead: str
    owner: str | None
    partners: tuple[str, ...]
    days_ago: int
    due_in_days: int
    status: ActionStatus = ActionStatus.proposed
    progress: int = 0
    reports: tuple[str, ...] = ()
    problem: bool = False
    steps: tuple[_Step, ...] = ()


_HALL = "Hall du 12 rue des Tilleuls occupé chaque soir"
_DEALING = "Point de vente présumé au pied du bâtiment C"
_RODEOS = "Rodéos de motos sur le parking du centre commercial"
_MAILBOXES = "Boîtes aux lettres dégradées, bâtiment C"

ACTIONS = (
    _ActionSpec(
        "cell-nord",
        "mediation",
        "Médiation aux heures de sortie du collège des Tilleuls",
        "Deux médiateurs aux abords du collège de 16 h 30 à 18 h, quatre jours par semaine : "
        "apaiser les attroupements et les bagarres à la sortie, faire le lien avec les parents "
        "et l'équipe de direction.",
        ActionKind.preventive,
        "mediation",
        "mediation",
        ("school", "pm"),
        days_ago=150,
        due_in_days=-14,
        status=ActionStatus.in_progress,
        progress=10,
        steps=(
            _Step(
                130,
                "mediation",
                "Binôme de médiateurs présent depuis trois semaines ; premiers contacts avec "
                "les élèves de 4e et de 3e, bon accueil de la principale.",
                30,
            ),
            _Step(
                75,
                "municipal",
                "En appui, passage de la police municipale à 17 h 30 le mardi et le jeudi.",
                60,
            ),
            _Step(
                30,
                "mediation",
                "Plus aucune bagarre signalée à la sortie depuis un mois ; le collège "
                "reprend le dispositif à son compte avec les assistants d'éducation.",
                90,
            ),
            _Step(20, "mediation", status=ActionStatus.done),
            _Step(
                10,
                "secretary",
                evaluation=EvaluationIn(
                    summary="Présence de deux médiateurs quatre jours par semaine pendant quatre mois, "
                    "en lien avec le collège et la police municipale. Les attroupements à la sortie "
                    "ont nettement diminué et les parents d'élèves disent se sentir rassurés. Le "
                    "collège souhaite pérenniser le dispositif à la rentrée.",
                    effect=Effect.positive,
                    indicator="−40 % de signalements aux abords du collège en 3 mois",
                ),
            ),
        ),
    ),
    _ActionSpec(
        "cell-nord",
        "secretary",
        "Remise en état de l'éclairage du bâtiment C et de ses abords",
        "Diagnostic de l'éclairage des coursives, du parking et du cheminement vers l'arrêt de bus, "
        "puis remplacement des points lumineux hors service (prévention situationnelle).",
        ActionKind.preventive,
        "housing",
        "housing",
        ("cabinet",),
        days_ago=45,
        due_in_days=-6,
        status=ActionStatus.planned,
        reports=(_MAILBOXES,),
        problem=True,
        steps=(
            _Step(38, "housing", status=ActionStatus.in_progress),
            _Step(
                30,
                "housing",
                "Diagnostic fait avec les services techniques de la Ville : 14 points lumineux hors "
                "service, dont 6 dans les coursives.",
                20,
            ),
            _Step(
                12,
                "housing",
                "Commande passée ; le fournisseur annonce un délai de livraison allongé, pose "
                "repoussée de trois semaines.",
                40,
            ),
        ),
    ),
    _ActionSpec(
        "cell-nord",
        "housing",
        "Réparation de la porte du hall du 12 rue des Tilleuls et contrôle d'accès par badge",
        "Remplacer la serrure et le ferme-porte forcés, installer un lecteur de badge et "
        "distribuer les badges aux locataires.",
        ActionKind.preventive,
        "housing",
        "housing",
        ("pm", "mediation"),
        days_ago=7,
        due_in_days=12,
        status=ActionStatus.in_progress,
        reports=(_HALL,),
        steps=(
            _Step(5, "housing", "Serrurier commandé, intervention prévue jeudi.", 30),
            _Step(
                2,
                "housing",
                "Porte réparée et ferme-porte changé ; badges remis aux locataires la semaine "
                "prochaine, avec un passage de la médiation pour les présenter.",
                70,
            ),
        ),
    ),
    _ActionSpec(
        "cell-nord",
        "municipal",
        "Rondes de la police municipale le dimanche après-midi au centre commercial",
        "Présence d'un équipage de 14 h à 19 h sur le parking et ses accès, relevé des "
        "immatriculations et des lieux de stockage des motos.",
        ActionKind.deterrent,
        "pm",
        "municipal",
        ("pn",),
        days_ago=8,
        due_in_days=10,
        status=ActionStatus.planned,
        reports=(_RODEOS,),
        steps=(
            _Step(
                3,
                "municipal",
                "Premier dimanche de rondes : deux motos repérées, parties à l'arrivée de l'équipage.",
            ),
        ),
    ),
    _ActionSpec(
        "cell-nord",
        "chair",
        "Caméra nomade sur le parking du centre commercial",
        "Installer la caméra nomade de la Ville pendant deux mois pour identifier les auteurs des rodéos.",
        ActionKind.deterrent,
        "cabinet",
        "chair",
        ("pm",),
        days_ago=8,
        due_in_days=30,
        reports=(_RODEOS,),
        steps=(
            _Step(
                2,
                "chair",
                "Le parking appartient à la copropriété du centre commercial, qui refuse "
                "l'installation ; les rondes du dimanche sont privilégiées.",
            ),
            _Step(2, "chair", status=ActionStatus.abandoned),
        ),
    ),
    _ActionSpec(
        "cell-nord",
        "secretary",
        "Marche exploratoire de nuit avec les habitants des Tilleuls",
        "Parcours du quartier à la tombée de la nuit avec les habitants, le bailleur et la police "
        "municipale : repérer les lieux où l'on ne se sent pas en sécurité (éclairage, recoins, "
        "accès) et en tirer des propositions d'aménagement. Organisée par le conseil citoyen ; "
        "le secrétariat de la cellule en tient le suivi.",
        ActionKind.preventive,
        "residents",
        "secretary",
        ("housing", "pm", "prevention"),
        days_ago=6,
        due_in_days=25,
        status=ActionStatus.planned,
        steps=(
            _Step(
                1,
                "secretary",
                "Date retenue avec le conseil citoyen ; affichage dans les halls et annonce au "
                "centre social.",
                20,
            ),
        ),
    ),
    _ActionSpec(
        "cell-nord",
        "police",
        "Enquête sur le point de vente du bâtiment C",
        "Surveillances et enquête judiciaire sur le point de vente présumé, puis opération "
        "d'interpellation coordonnée avec le parquet. Les éléments d'enquête restent au commissariat.",
        ActionKind.repressive,
        "pn",
        "police",
        ("parquet", "housing"),
        days_ago=5,
        due_in_days=70,
        status=ActionStatus.planned,
        reports=(_DEALING,),
        problem=True,
        steps=(
            _Step(3, "chair", refer_to="gltd"),
            _Step(2, "police", status=ActionStatus.in_progress),
            _Step(
                1,
                "police",
                "Surveillances engagées, premiers éléments transmis au parquet.",
                25,
            ),
        ),
    ),
    _ActionSpec(
        "gltd",
        "prosecutor",
        "Présence policière dissuasive aux heures de vente",
        "Patrouilles pédestres coordonnées de la police nationale et de la police municipale "
        "entre 17 h et 23 h au pied des bâtiments B et C, sans gêner l'enquête en cours.",
        ActionKind.deterrent,
        "pm",
        "municipal",
        ("pn",),
        days_ago=2,
        due_in_days=45,
        status=ActionStatus.planned,
        reports=(_DEALING,),
    ),
    _ActionSpec(
        "gltd",
        "housing",
        "Procédures pour troubles de jouissance",
        "Le bailleur rassemble les constats et les plaintes des locataires et engage, avec "
        "l'appui du parquet, les procédures prévues au bail. Les dossiers nominatifs restent "
        "chez le bailleur.",
        ActionKind.repressive,
        "housing",
        "housing",
        ("parquet",),
        days_ago=2,
        due_in_days=80,
    ),
    _ActionSpec(
        "gltd",
        "coordinator",
        "Présence éducative de rue en soirée",
        "Les éducateurs de prévention spécialisée vont à la rencontre des jeunes au pied des "
        "immeubles trois soirs par semaine et leur proposent un accompagnement (chantiers "
        "éducatifs, insertion). Le secrétariat du groupe en tient le suivi pour l'équipe.",
        ActionKind.preventive,
        "outreach",
        "coordinator",
        ("mediation", "social"),
        days_ago=40,
        due_in_days=60,
        status=ActionStatus.in_progress,
        steps=(
            _Step(
                25,
                "coordinator",
                "Les éducateurs passent le mardi, le jeudi et le vendredi soir ; une quinzaine de "
                "jeunes rencontrés.",
                25,
            ),
            _Step(
                4,
                "coordinator",
                "Premier chantier éducatif décidé avec le bailleur : peinture du local vélos, six "
                "jeunes inscrits.",
                45,
            ),
        ),
    ),
)


def _load_actions(
    session: Session,
    settings: Settings,
    today: date,
    loaded: dict[str, Body],
    users: dict[str, User],
    organisations: dict[str, Organisation],
    reports: dict[str, Situation],
) -> None:
    """The actions, created and moved through the services by the people who would; their
    history is then dated back to when it happened."""
    problem = session.exec(select(Problem).where(Problem.body_id == loaded["cell-nord"].id)).one()

    def at(days_ago: int) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), time(10), tzinfo=settings.tz)

    for spec in ACTIONS:
        body = loaded[spec.body]
        # Due by the end of a crime-treatment group, its own or the one it is referred to.
        ends = [loaded[key].ends_on for key in (spec.body, *(s.refer_to for s in spec.steps if s.refer_to))]
        due_on = min([today + timedelta(days=spec.due_in_days), *(e for e in ends if e is not None)])
        data = ActionCreate(
            body_id=body.id or 0,
            title=spec.title,
            description=spec.description,
            kind=spec.kind,
            lead_organisation_id=organisations[spec.lead].id or 0,
            owner_id=users[spec.owner].id if spec.owner else None,
            partner_organisation_ids=[organisations[key].id or 0 for key in spec.partners],
            due_on=due_on,
            status=spec.status,
            progress=spec.progress,
            situation_ids=[reports[title].id or 0 for title in spec.reports],
            problem_id=problem.id if spec.problem else None,
        )
        action = actions.create_action(session, viewer=viewer_of(session, users[spec.author]), data=data)
        action.created_at = at(spec.days_ago)
        _dated(session, action, action.created_at)
        for step in spec.steps:
            _step(session, action, step, users[step.author], loaded)
            _dated(session, action, at(step.days_ago), step)


def _step(session: Session, action: Action, step: _Step, user: User, loaded: dict[str, Body]) -> None:
    access = actions.get_action(session, viewer_of(session, user), action.id or 0)
    if step.refer_to is not None:
        actions.refer(session, access=access, data=ReferIn(body_id=loaded[step.refer_to].id or 0))
    elif step.status is not None:
        actions.set_status(session, access=access, status=step.status, version=action.version)
    elif step.evaluation is not None:
        actions.evaluate(session, access=access, data=step.evaluation)
    else:
        actions.add_update(session, access=access, data=ActionEntryIn(text=step.text, progress=step.progress))


def _dated(session: Session, action: Action, when: datetime, step: _Step | None = None) -> None:
    """Dates the action's latest line of history (and what it changed) back to ``when``."""
    entry = session.exec(
        select(ActionEntry).where(ActionEntry.action_id == action.id).order_by(col(ActionEntry.id).desc())
    ).first()
    assert entry is not None
    entry.created_at = action.updated_at = when
    if step is not None and step.status == ActionStatus.done:
        action.done_at = when
    if step is not None and step.evaluation is not None:
        action.evaluated_at = when
    session.add_all([entry, action])
    session.commit()


# A street team's published monthly counts (README.md, Dashboards, statistics and diagnostics), as the
# mediation team's history.
OUTREACH_FIGURES = PACKAGE_DIR / "data" / "outreach-activity-2013-2016.csv"


def _load_activity_figures(session: Session, user: User, organisation: Organisation, today: date) -> None:
    """The mediation team's activity figures, May to September 2013–2015 and May to October
    2016, entered by its member through the service (the series are created as they appear)."""
    with OUTREACH_FIGURES.open(encoding="utf-8", newline="") as source:
        rows = [(row["series"], row["month"], int(row["count"])) for row in csv.DictReader(source)]
    activity.import_figures(session, user=user, organisation=organisation, rows=rows, today=today)
    session.commit()
