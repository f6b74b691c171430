"""What the fuzzers share: a world with one record of every kind, and the roles they act as."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from tests.factories import Factory, World
from veille.config import Settings
from veille.directory.models import User

# The roles the fuzzers act as: the platform's admin, a body's secretary, and a partner (a member
# of the body from another organisation, the police).
ROLES = ("admin", "secretary", "partner")


def role_user(world: World, role: str) -> User:
    return world.member if role == "partner" else getattr(world, role)  # type: ignore[no-any-return]


@pytest.fixture
def full_world(world: World, factory: Factory) -> World:
    """The personas' world with a meeting of the body (an agenda item, its members invited), a
    report with a PDF in a problem file, and an action led by the partner's organisation."""
    world.meeting = factory.meeting(world.body)
    world.item = factory.item(world.meeting)
    for user in (world.chair, world.secretary, world.member):
        factory.invite(world.meeting, user)
    world.situation = factory.situation(world.body, world.member)
    world.attachment = factory.attachment(world.situation)
    world.problem = factory.problem(world.body, situations=[world.situation])
    world.action = factory.action(world.body, world.organisation, owner=world.member)
    _strategy(factory, world)
    return world


def _strategy(factory: Factory, world: World) -> None:
    """A plenary (the secretary keeps its minutes, the partner is a member) whose strategy 1
    has axis 1, objective 1 (carrying the world's action) and indicator 1."""
    from veille.bodies.enums import BodyKind, MemberRole
    from veille.strategy.models import (
        ObjectiveAction,
        Strategy,
        StrategyAxis,
        StrategyIndicator,
        StrategyObjective,
    )

    plenary = factory.body("CLSPD", kind=BodyKind.plenary)
    factory.member(plenary, world.secretary, MemberRole.secretary)
    factory.member(plenary, world.member)
    strategy = factory._save(
        Strategy(body_id=plenary.id or 0, title="Stratégie", starts_year=2024, ends_year=2027)
    )
    axis = factory._save(StrategyAxis(strategy_id=strategy.id or 0, title="Jeunesse"))
    objective = factory._save(StrategyObjective(axis_id=axis.id or 0, title="Décrochage"))
    indicator = factory._save(StrategyIndicator(objective_id=objective.id or 0, name="Jeunes suivis"))
    factory._save(ObjectiveAction(objective_id=objective.id or 0, action_id=world.action.id or 0))
    assert strategy.id == axis.id == objective.id == indicator.id == 1


def ids_of(world: World) -> dict[str, Any]:
    """The path parameters that name the world's records."""
    assert world.meeting and world.item and world.situation and world.attachment
    assert world.problem and world.action
    return {
        "body_id": world.body.id,
        "user_id": world.member.id,
        "member_id": world.member.id,
        "invitee_id": world.member.id,
        "sector_id": world.sector.id,
        "organisation_id": world.organisation.id,
        "meeting_id": world.meeting.id,
        "item_id": world.item.id,
        "situation_id": world.situation.id,
        "attachment_id": world.attachment.id,
        "problem_id": world.problem.id,
        "action_id": world.action.id,
        "token_id": 1,  # one's own API token: any other answers 404
        # The plenary's strategy and its parts (``_strategy``).
        "strategy_id": 1,
        "axis_id": 1,
        "objective_id": 1,
        "indicator_id": 1,
    }


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No pause before a login attempt: the fuzzers send many wrong ones (the pause and the
    refusal are tested in tests/auth)."""
    return settings.model_copy(update={"login_delay_seconds": 0.0})


@pytest.fixture
def fuzz_log(engine_name: str) -> Any:
    """fuzz_log(kind, **figures): appends a line of figures to the file named by
    VEILLE_FUZZ_LOG, if set (docs/security.md gives the figures of a run)."""

    def log(kind: str, **figures: object) -> None:
        path = os.environ.get("VEILLE_FUZZ_LOG")
        if path:
            with open(path, "a", encoding="utf-8") as file:
                file.write(json.dumps({"kind": kind, "engine": engine_name, **figures}) + "\n")

    return log
