"""``web.run_change``, the one way a page form applies a change: a refused change is rolled back
before the form is drawn again, so the page never shows (nor a later commit keeps) what the
change had begun to write; a record that is not there stays the 404 page."""

from __future__ import annotations

import pytest
from fastapi.responses import Response
from sqlmodel import Session, func, select

from veille.directory.enums import OrganisationKind
from veille.directory.models import Organisation
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
