"""The demo's local strategy (``veille serve --demo``): the plenary's strategy 2024–2027 with
three axes (youth, public tranquillity, domestic violence), their objectives and indicators with
their values, the demo's actions and bodies attached, all written through the services as the
plenary's secretary would. ``veille.demo`` calls it once its bodies and actions exist."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from veille.access import Viewer
from veille.actions.models import Action
from veille.bodies.models import Body
from veille.strategy import service
from veille.strategy.models import (
    AxisInput,
    IndicatorInput,
    LinksInput,
    ObjectiveInput,
    Strategy,
    StrategyCreate,
    ValueInput,
)


@dataclass(frozen=True)
class _Objective:
    title: str
    indicator: tuple[str, str, float]  # name, unit, target
    values: Mapping[int, float]
    actions: tuple[str, ...] = ()
    bodies: tuple[str, ...] = ()


AXES: tuple[tuple[str, str, tuple[_Objective, ...]], ...] = (
    (
        "Prévenir la délinquance des jeunes",
        "Agir tôt auprès des collégiens et des jeunes exposés, avec l'Éducation nationale, la "
        "prévention spécialisée et les familles.",
        (
            _Objective(
                "Réduire le décrochage et les exclusions au collège",
                ("Collégiens exclus temporairement", "élèves", 40),
                {2024: 62, 2025: 51},
                ("Médiation aux heures de sortie du collège des Tilleuls",),
                ("cell-nord",),
            ),
            _Objective(
                "Aller vers les jeunes exposés aux trafics",
                ("Jeunes suivis par la prévention spécialisée", "jeunes", 150),
                {2024: 112, 2025: 128},
                ("Présence éducative de rue en soirée",),
                ("gltd",),
            ),
        ),
    ),
    (
        "Tranquillité publique",
        "Rendre aux habitants les halls, les espaces communs et la nuit en centre-ville.",
        (
            _Objective(
                "Sécuriser les halls et les espaces communs",
                ("Signalements d'occupation de halls", "signalements", 20),
                {2024: 48, 2025: 35},
                (
                    "Réparation de la porte du hall du 12 rue des Tilleuls et contrôle d'accès par badge",
                    "Remise en état de l'éclairage du bâtiment C et de ses abords",
                    "Caméra nomade sur le parking du centre commercial",
                    "Présence policière dissuasive aux heures de vente",
                ),
                ("cell-nord", "gltd"),
            ),
            _Objective(
                "Apaiser la vie nocturne",
                ("Plaintes pour tapage nocturne", "plaintes", 60),
                {2024: 95, 2025: 81},
                ("Rondes de la police municipale le dimanche après-midi au centre commercial",),
                ("copil",),
            ),
        ),
    ),
    (
        "Prévenir les violences intrafamiliales",
        "Repérer, mettre à l'abri et accompagner les victimes ; prévenir la récidive.",
        (
            _Objective(
                "Mieux repérer et orienter les victimes",
                ("Victimes orientées par l'intervenant social en commissariat", "personnes", 200),
                {2024: 141, 2025: 168},
                (),
                ("plenary",),
            ),
            _Objective(
                "Former les professionnels de première ligne",
                ("Professionnels formés", "personnes", 120),
                {2024: 35, 2025: 70},
            ),
        ),
    ),
)


def load_strategy(
    session: Session, viewer: Viewer, plenary: Body, bodies: Mapping[str, Body], today: date
) -> Strategy:
    """The strategy, adopted by the plenary at the start of 2024; ``viewer``: its secretary."""
    strategy = service.create_strategy(
        session,
        viewer,
        StrategyCreate(
            body_id=plenary.id or 0,
            title="Stratégie territoriale de sécurité et de prévention de la délinquance",
            description=(
                "Adoptée par le CLSPD pour quatre ans : trois axes prioritaires, déclinés en objectifs "
                "suivis par des indicateurs et portés par les actions des instances."
            ),
            starts_year=2024,
            ends_year=2027,
            adopted_on=date(2024, 1, 25),
        ),
    )
    access = service.get_access(session, viewer, strategy.id or 0)
    titles = {title for _, _, objectives in AXES for o in objectives for title in o.actions}
    found = session.exec(select(Action.title, Action.id).where(col(Action.title).in_(sorted(titles)))).all()
    ids: dict[str, int | None] = {title: action_id for title, action_id in found}  # noqa: C416
    for axis_title, axis_text, objectives in AXES:
        axis = service.add_axis(session, access, AxisInput(title=axis_title, description=axis_text))
        for spec in objectives:
            objective = service.add_objective(session, access, axis, ObjectiveInput(title=spec.title))
            name, unit, target = spec.indicator
            indicator = service.add_indicator(
                session, access, objective, IndicatorInput(name=name, unit=unit, target=target)
            )
            values = [ValueInput(year=y, value=v) for y, v in spec.values.items() if y <= today.year]
            service.update_indicator(
                session, access, indicator, IndicatorInput(name=name, unit=unit, target=target), values
            )
            links = LinksInput(
                action_ids=[i for t in spec.actions if (i := ids.get(t)) is not None],
                body_ids=[bodies[key].id or 0 for key in spec.bodies],
            )
            service.set_links(session, access, objective, links)
    return strategy
