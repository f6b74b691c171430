"""``web.run_change``, the one way a page form applies a change: a refused change is rolled back
before the form is drawn again, so the page never shows (nor a later commit keeps) what the
change had begun to write; a record that is not there stays the 404 page. And the error page of
a refusal raised after that rollback still knows whom it is drawn for (``deps._keep_person``)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import pytest
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Engine, delete
from sqlmodel import Session, func, select

from tests.factories import Factory
from veille.deps import _keep_person
from veille.directory.enums import OrganisationKind
from veille.directory.models import Organisation, User
from veille.errors import Conflict, InvalidInput, NotFound, ServiceError
from veille.web import run_change


def _organisations(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Organisation)).one()


@pytest.mark.parametrize(
    ("refusal", "errors", "status"),
    [
        (InvalidInput({"name": "Name taken."}), {"name": "Name taken."}, 422),
        (Conflict("Someone changed it first."), {"__all__": "Someone changed it first."}, 409),
    ],
)
def test_a_refused_change_is_rolled_back_before_the_form_is_drawn_again(
    session: Session, refusal: ServiceError, errors: dict[str, str], status: int
) -> None:
    before = _organisations(session)
    seen: list[int] = []

    def change() -> None:
        session.add(Organisation(name="Half-written", kind=OrganisationKind.police))
        session.flush()
        assert _organisations(session) == before + 1  # written, not committed
        raise refusal

    def refused(given: dict[str, str], code: int) -> Response:
        seen.append(_organisations(session))
        assert (given, code) == (errors, status)
        return Response(status_code=code)

    answer = run_change(session, change, done=lambda: Response(status_code=303), refused=refused)
    assert answer.status_code == status
    assert seen == [before]  # what the form is drawn from
    session.commit()  # a later commit of the same session keeps nothing of it either
    assert _organisations(session) == before


def test_a_change_made_answers_done_and_a_missing_record_stays_404(session: Session) -> None:
    def made() -> None:
        session.add(Organisation(name="Kept", kind=OrganisationKind.police))
        session.commit()

    def never(_errors: dict[str, str], _code: int) -> Response:
        raise AssertionError("not refused")

    answer = run_change(session, made, done=lambda: Response(status_code=303), refused=never)
    assert answer.status_code == 303
    assert session.exec(select(Organisation).where(Organisation.name == "Kept")).one()

    def missing() -> None:
        raise NotFound()

    with pytest.raises(NotFound):
        run_change(session, missing, done=lambda: Response(status_code=303), refused=never)


def _asking(user: User) -> Request:
    return cast(Request, SimpleNamespace(state=SimpleNamespace(user=user)))


def test_the_error_page_after_a_rollback_still_reads_its_person(
    session: Session, factory: Factory, engine: Engine
) -> None:
    person = factory.user("Claire Martin", organisation=factory.organisation("Police municipale"))
    request = _asking(person)
    session.rollback()  # a refused change: the person read at the request's start is expired
    _keep_person(session, request)
    session.close()  # then the error page is drawn
    assert (person.name, person.language, person.organisation.name) == (
        "Claire Martin",
        "fr",
        "Police municipale",
    )
    # Gone meanwhile (or the database unreachable): the page is drawn for no one, not a 500.
    gone = factory.user("Parti")
    request = _asking(gone)
    session.rollback()
    with engine.begin() as connection:
        connection.execute(delete(User).where(User.id == gone.id))  # type: ignore[arg-type]
    _keep_person(session, request)
    assert request.state.user is None
