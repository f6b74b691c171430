"""What the local strategy adds to an action's page, through actions' extension point
(``actions.extensions``), since actions may not import the strategy: the objectives the action
carries, with their axis and strategy. Whoever reads the action sees them (titles only); the
link to the strategy's page only for those who read it (the plenary's members and the staff).
``veille.app`` registers it once."""

from __future__ import annotations

from sqlmodel import Session, col, select

from veille.access import Viewer
from veille.actions import extensions
from veille.actions.extensions import Mention
from veille.strategy.models import ObjectiveAction, Strategy, StrategyAxis, StrategyObjective
from veille.strategy.service import readable


class StrategyAtActions:
    """The strategy's part of an action's page (``extensions.ActionExtension``)."""

    def mentions(self, session: Session, viewer: Viewer, action_id: int) -> list[Mention]:
        rows = session.exec(
            select(Strategy, StrategyAxis.title, StrategyObjective.id, StrategyObjective.title)
            .join(StrategyAxis, col(StrategyAxis.strategy_id) == Strategy.id)
            .join(StrategyObjective, col(StrategyObjective.axis_id) == StrategyAxis.id)
            .join(ObjectiveAction, col(ObjectiveAction.objective_id) == StrategyObjective.id)
            .where(ObjectiveAction.action_id == action_id)
            .order_by(
                col(Strategy.starts_year).desc(), col(StrategyAxis.position), col(StrategyObjective.position)
            )
        ).all()
        return [
            Mention(
                text=f"{objective} ({axis} – {strategy.title}, {strategy.starts_year}–{strategy.ends_year})",
                href=f"/strategies/{strategy.id}#objective-{objective_id}"
                if readable(viewer, strategy.body_id)
                else None,
            )
            for strategy, axis, objective_id, objective in rows
        ]


def register() -> None:
    extensions.register(StrategyAtActions())
