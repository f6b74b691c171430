"""Problem files: a body's reports grouped around one problem, with its analysis and status
(the chair and secretaries keep them; members read them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from veille.access import Viewer
from veille.audit import service as audit
from veille.bodies import service as bodies
from veille.bodies.enums import BodyStatus, MemberRole
from veille.errors import Forbidden, InvalidInput, NotFound
from veille.i18n import N_
from veille.orm import utcnow
from veille.situations.enums import ProblemStatus
from veille.situations.feed import Row, rows
from veille.situations.models import (
    Problem,
    ProblemCreate,
    ProblemUpdate,
    Situation,
)
from veille.situations.visibility import full_text, visible
from veille.versions import bump, lock_version

STALE_PROBLEM = N_("Someone else changed this problem file in the meantime. Reload it and try again.")


@dataclass(frozen=True)
class ProblemAccess:
    problem: Problem
    body_access: bodies.BodyAccess
    viewer: Viewer

    @property
    def can_edit(self) -> bool:
        return self.body_access.can_manage and self.body_access.body.status == BodyStatus.active


def get_problem(session: Session, viewer: Viewer, problem_id: int) -> ProblemAccess:
    problem = session.get(Problem, problem_id)
    if problem is None:
        raise NotFound()
    access = bodies.get_body_access(session, viewer.user, problem.body_id)
    if not access.can_see_members:
        raise NotFound() if access.role == MemberRole.guest else Forbidden(bodies.CHARTER_PENDING)
    return ProblemAccess(problem=problem, body_access=access, viewer=viewer)


def body_problems(session: Session, access: bodies.BodyAccess) -> list[Problem]:
    access.require_members()
    return list(
        session.exec(
            select(Problem)
            .where(Problem.body_id == access.body.id)
            .order_by(col(Problem.status) == ProblemStatus.closed, col(Problem.updated_at).desc())
        ).all()
    )


def visible_problems_query(session: Session, viewer: Viewer) -> SelectOfScalar[Problem]:
    stmt = select(Problem)
    if viewer.content_ids is not None:
        stmt = stmt.where(col(Problem.body_id).in_(sorted(viewer.content_ids)))
    return stmt


def _group(session: Session, viewer: Viewer, problem: Problem, situation_ids: list[int]) -> None:
    """The problem file holds exactly these reports: ones the person reads whole, of its body,
    not in another file."""
    wanted = sorted(set(situation_ids))
    found = session.exec(
        select(Situation).where(
            col(Situation.id).in_(wanted), full_text(viewer), Situation.body_id == problem.body_id
        )
    ).all()
    if len(found) != len(wanted):
        raise InvalidInput({"situation_ids": N_("Choose reports of this body that you can read.")})
    if any(s.problem_id not in (None, problem.id) for s in found):
        raise InvalidInput({"situation_ids": N_("One of these reports is already in another problem file.")})
    # Reports of the file that this person cannot read stay in it: they were put there by
    # someone who could.
    current = session.exec(
        select(Situation).where(Situation.problem_id == problem.id, full_text(viewer))
    ).all()
    for situation in current:
        if situation.id not in wanted:
            situation.problem_id = None
            session.add(situation)
    for situation in found:
        situation.problem_id = problem.id
        session.add(situation)


def create_problem(session: Session, *, viewer: Viewer, data: ProblemCreate) -> Problem:
    user = viewer.user
    access = bodies.get_body_access(session, user, data.body_id)
    access.require_manage()
    problem = Problem(
        body_id=data.body_id, title=data.title, analysis=data.analysis, status=data.status, created_by=user.id
    )
    session.add(problem)
    session.flush()
    _group(session, viewer, problem, data.situation_ids)
    audit.record(session, user_id=user.id, verb="create", entity="problem", entity_id=problem.id)
    session.commit()
    return problem


def update_problem(session: Session, *, access: ProblemAccess, data: ProblemUpdate) -> Problem:
    access.body_access.require_manage()
    problem = access.problem
    lock_version(session, problem, data.version, STALE_PROBLEM)
    problem.title, problem.analysis, problem.status = data.title, data.analysis, data.status
    bump(problem)
    problem.updated_at = utcnow()
    session.add(problem)
    _group(session, access.viewer, problem, data.situation_ids)
    audit.record(
        session, user_id=access.body_access.user.id, verb="update", entity="problem", entity_id=problem.id
    )
    session.commit()
    return problem


def add_to_problem(session: Session, *, access: ProblemAccess, situation_ids: list[int]) -> Problem:
    """Adds reports to the file, keeping those it holds."""
    current = problem_situation_ids(session, access.viewer, access.problem)
    data = ProblemUpdate(
        title=access.problem.title,
        analysis=access.problem.analysis,
        status=access.problem.status,
        situation_ids=sorted(set(current) | set(situation_ids)),
        version=access.problem.version,
    )
    return update_problem(session, access=access, data=data)


def problem_of(session: Session, situation: Situation) -> Problem | None:
    return session.get(Problem, situation.problem_id) if situation.problem_id else None


def problem_in_body(session: Session, problem_id: int, body_id: int) -> Problem | None:
    problem = session.get(Problem, problem_id)
    return problem if problem is not None and problem.body_id == body_id else None


def problems_at_work(
    session: Session, body_ids: Iterable[int], start: datetime, end: datetime
) -> list[Problem]:
    """The bodies' problem files at work during [start, end): opened before its end and not
    closed before its start; open ones first. The caller has checked that its reader sees
    these bodies."""
    ids = sorted(body_ids)
    if not ids:
        return []
    return list(
        session.exec(
            select(Problem)
            .where(
                col(Problem.body_id).in_(ids),
                col(Problem.created_at) < end,
                or_(col(Problem.status) != ProblemStatus.closed, col(Problem.updated_at) >= start),
            )
            .order_by(col(Problem.status) == ProblemStatus.closed, col(Problem.updated_at).desc())
        ).all()
    )


def problem_counts(session: Session, viewer: Viewer, problem_ids: list[int]) -> dict[int, int]:
    """How many reports of each file the person may see."""
    if not problem_ids:
        return {}
    found = session.exec(
        select(col(Situation.problem_id), func.count())
        .where(col(Situation.problem_id).in_(problem_ids), visible(viewer))
        .group_by(col(Situation.problem_id))
    ).all()
    return {problem_id: count for problem_id, count in found if problem_id is not None}


GROUPABLE_LIMIT = 200


def groupable(session: Session, viewer: Viewer, body_id: int, problem: Problem | None) -> list[Row]:
    """The body's recent reports that the person reads whole and that could join the file."""
    stmt = (
        select(Situation)
        .where(
            full_text(viewer),
            Situation.body_id == body_id,
            or_(
                col(Situation.problem_id).is_(None),
                col(Situation.problem_id) == (problem.id if problem else -1),
            ),
        )
        .order_by(col(Situation.id).desc())
        .limit(GROUPABLE_LIMIT)
    )
    return rows(session, viewer, session.exec(stmt).all(), "problem")


def problem_situation_ids(session: Session, viewer: Viewer, problem: Problem) -> list[int]:
    """The reports of the file that the person reads whole."""
    found = session.exec(
        select(Situation.id).where(Situation.problem_id == problem.id, full_text(viewer))
    ).all()
    return [i for i in found if i is not None]


def problem_situations(session: Session, viewer: Viewer, problem: Problem) -> list[Row]:
    """The file's reports that the person may see, oldest first (the file's timeline)."""
    found = session.exec(
        select(Situation)
        .where(Situation.problem_id == problem.id, visible(viewer))
        .order_by(col(Situation.occurred_at), col(Situation.id))
    ).all()
    return rows(session, viewer, found, "problem")
