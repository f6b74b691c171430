"""French texts for the benchmark data: small lists of places, facts and names, combined by the
seeded random generator into titles, descriptions and notes that read like a watch cell's.

Every word a test or a benchmark searches for comes from these lists, so a search finds some
reports but not all; the lists stay short because the variety comes from their combinations.
"""

from __future__ import annotations

import random

FIRST_NAMES = [
    "Claire",
    "Julien",
    "Sophie",
    "Thomas",
    "Nadia",
    "Karim",
    "Hélène",
    "Lucas",
    "Amina",
    "Olivier",
    "Isabelle",
    "Marc",
    "Camille",
    "Mehdi",
    "Léa",
    "Antoine",
    "Fatou",
    "Pierre",
    "Chloé",
    "Yanis",
    "Manon",
    "Hugo",
    "Sarah",
    "Nicolas",
    "Inès",
    "Mathieu",
    "Élodie",
    "Rachid",
    "Pauline",
    "Vincent",
    "Aïcha",
    "Romain",
    "Laure",
    "Samir",
    "Agathe",
    "Damien",
    "Emma",
    "Bruno",
    "Céline",
    "Kévin",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Moreau",
    "Laurent",
    "Girard",
    "Roux",
    "Fournier",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Garnier",
    "Faure",
    "Mercier",
    "Blanc",
    "Guerin",
    "Boyer",
    "Chevalier",
    "Francois",
    "Perrin",
    "Robin",
    "Clement",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
    "Gautier",
    "Masson",
    "Marchand",
    "Duval",
    "Denis",
    "Lemaire",
    "Benali",
    "Haddad",
    "Diallo",
    "Petit",
    "Roche",
]

# Sector names: a district of the city, or a town of the metropolis.
DISTRICTS = (
    "Centre-ville",
    "Les Tilleuls",
    "La Roseraie",
    "Gare et faubourgs",
    "Bords de Loire",
    "Les Coteaux",
    "Le Port",
    "Saint-Martin",
    "Les Acacias",
    "La Croix-Verte",
    "Beaulieu",
    "Le Moulin",
    "Les Hauts-de-Sèvre",
    "Bellevue",
    "Le Val fleuri",
    "Les Chartreux",
    "La Chapelle",
    "Montplaisir",
    "Les Glycines",
    "Pont-Neuf",
    "Saint-Jacques",
    "La Plaine",
    "Les Sablons",
    "Champ-de-Foire",
    "Les Marronniers",
    "Grand-Large",
    "Le Clos",
    "Les Vignes",
    "La Source",
    "Bois-Joli",
)

STREETS = (
    "rue Victor-Hugo",
    "avenue Jean-Jaurès",
    "place de la République",
    "rue des Écoles",
    "boulevard Pasteur",
    "allée des Tilleuls",
    "parking du marché",
    "square Louise-Michel",
    "rue de la Gare",
    "quai de Loire",
    "résidence Les Peupliers",
    "mail Gambetta",
    "parvis du collège",
    "arrêt de bus Mairie",
    "rue du Commerce",
    "chemin de halage",
    "esplanade Charles-de-Gaulle",
    "passage des Arts",
)
SPOTS = (
    "hall du bâtiment B",
    "abords du collège",
    "pied d'immeuble",
    "parc municipal",
    "city stade",
    "parking souterrain",
    "quai de bus",
    "terrasse d'un bar",
    "local à vélos",
    "entrée du centre commercial",
    "berges",
    "cage d'escalier",
)
MOMENTS = (
    "en soirée",
    "dans la nuit de vendredi à samedi",
    "en fin d'après-midi",
    "à la sortie des classes",
    "le week-end",
    "vers 23 h",
    "en début de matinée",
    "pendant le marché",
)

# Per category code (those of the migration): the facts a report states.
FACTS: dict[str, tuple[str, ...]] = {
    "hall_occupation": (
        "Rassemblement de jeunes dans le hall",
        "Occupation du hall avec nuisances sonores",
        "Squat de la cage d'escalier",
        "Regroupement bruyant devant l'entrée",
    ),
    "drug_dealing": (
        "Point de deal signalé",
        "Allées et venues suspectes",
        "Guetteurs postés à l'entrée",
        "Seringues retrouvées",
    ),
    "urban_rodeo": (
        "Rodéo de motos non immatriculées",
        "Quads circulant sur les trottoirs",
        "Rodéo motorisé répété",
        "Scooters roulant à vive allure",
    ),
    "noise_nightlife": (
        "Tapage nocturne à la fermeture",
        "Musique amplifiée jusqu'à l'aube",
        "Attroupement bruyant en sortie de bar",
        "Plaintes de riverains pour bruit",
    ),
    "public_space_damage": (
        "Dégradation du mobilier urbain",
        "Tags sur la façade",
        "Abribus vandalisé",
        "Éclairage public détérioré",
        "Dépôt sauvage de déchets",
    ),
    "violence": (
        "Rixe entre deux groupes",
        "Agression d'un chauffeur",
        "Altercation violente",
        "Vol à l'arraché",
    ),
    "harassment": (
        "Harcèlement de passantes",
        "Insultes répétées envers un commerçant",
        "Intimidation d'élèves",
        "Menaces envers le gardien",
    ),
    "road_safety": (
        "Stationnement dangereux devant l'école",
        "Vitesse excessive signalée",
        "Feu tricolore en panne",
        "Passage piéton effacé",
    ),
    "vulnerable_person": (
        "Personne âgée isolée en difficulté",
        "Mineur seul tard le soir",
        "Personne sans abri en détresse",
        "Jeune en errance",
    ),
    "other": (
        "Signalement divers",
        "Chien errant agressif",
        "Conflit de voisinage",
        "Feu de poubelles",
    ),
}
DETAILS = (
    "Les riverains ont appelé la police municipale à plusieurs reprises.",
    "Le bailleur signale des dégâts dans les parties communes.",
    "Les médiateurs sont passés sur place et ont engagé le dialogue.",
    "Une patrouille est intervenue, le groupe s'est dispersé.",
    "Le gardien décrit une situation qui dure depuis plusieurs semaines.",
    "Les commerçants se plaignent d'une baisse de fréquentation.",
    "Des parents d'élèves ont alerté la direction du collège.",
    "Le transporteur a dévié la ligne pendant une heure.",
    "Aucun blessé n'est à déplorer.",
    "Une main courante a été déposée.",
    "Le conseil citoyen demande une présence renforcée.",
    "Les services techniques ont été prévenus.",
)
UPDATES = (
    "Nouveau passage de la patrouille, calme constaté.",
    "Les faits se sont reproduits la nuit suivante.",
    "Rencontre avec le bailleur : pose d'une porte sécurisée prévue.",
    "Les médiateurs ont rencontré les jeunes du quartier.",
    "Le dépôt a été enlevé par les services de propreté.",
    "Plainte déposée par la victime, enquête en cours.",
    "Éclairage réparé, à surveiller.",
    "Situation apaisée depuis la réunion avec les riverains.",
    "Orientation vers le service social du département.",
    "Le commerçant signale une amélioration.",
)
ACTIONS = (
    "Patrouilles renforcées {moment}",
    "Médiation de rue {moment}",
    "Pose d'un éclairage supplémentaire, {street}",
    "Réunion publique avec les habitants, {street}",
    "Sécurisation du hall, {street}",
    "Enlèvement des épaves et dépôts, {street}",
    "Action de prévention au collège",
    "Contrôles routiers {moment}",
    "Vidéoprotection : étude d'implantation, {street}",
    "Accompagnement social des familles signalées",
    "Chantier éducatif avec les jeunes du quartier",
    "Rappel à la loi des établissements de nuit",
)
ACTION_NOTES = (
    "Première séance réalisée, bonne participation.",
    "Devis validé, travaux programmés.",
    "Retard dû à la disponibilité des équipes.",
    "Dispositif reconduit pour un mois.",
    "Bilan intermédiaire présenté au secrétariat.",
    "Partenaires mobilisés, calendrier arrêté.",
)
EVALUATIONS = (
    "Baisse nette des signalements sur le secteur.",
    "Effet limité : les faits se sont déplacés.",
    "Pas d'évolution notable constatée.",
    "Amélioration ressentie par les riverains.",
)
AGENDA_TOPICS = (
    "Point sur la situation {street}",
    "Tranquillité aux abords du collège",
    "Bilan des nuisances de l'été",
    "Préparation des fêtes de fin d'année",
    "Présentation du diagnostic de sûreté",
    "Situation des halls de la résidence",
    "Sécurité routière devant les écoles",
    "Retour sur les faits du week-end",
)
MINUTES = (
    "Les partenaires partagent le constat d'une dégradation ces dernières semaines.",
    "La police nationale présente les chiffres du mois ; tendance stable.",
    "Le bailleur confirme les travaux de sécurisation.",
    "La médiation propose des permanences en soirée.",
    "Le président rappelle la confidentialité des échanges.",
    "Le conseil citoyen relaie l'inquiétude des habitants.",
)
DECISIONS = (
    "Renforcer la présence le vendredi soir.",
    "Saisir le bailleur par écrit.",
    "Inscrire le point à la prochaine séance.",
    "Programmer une réunion publique.",
    "Aucune décision, suivi à poursuivre.",
)
VENUES = (
    "Le Comptoir",
    "La Guinguette",
    "Le Zinc",
    "L'Alchimiste",
    "Le Petit Bal",
    "Café des Arts",
    "Le Quai 22",
    "La Cave à Jazz",
)


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def place(rng: random.Random) -> str:
    return f"{rng.choice(SPOTS)}, {rng.choice(STREETS)}"


def report_title(rng: random.Random, category: str, district: str) -> str:
    return f"{rng.choice(FACTS[category])} – {district}"


def report_description(rng: random.Random) -> str:
    count = rng.randint(1, 3)
    return f"Faits constatés {rng.choice(MOMENTS)}. " + " ".join(rng.sample(DETAILS, count))


def action_title(rng: random.Random) -> str:
    return rng.choice(ACTIONS).format(moment=rng.choice(MOMENTS), street=rng.choice(STREETS))


def agenda_title(rng: random.Random) -> str:
    return rng.choice(AGENDA_TOPICS).format(street=rng.choice(STREETS))
