"""What makes pages and files cheap at scale (issue 15): validators on the statistics exports
and the meeting PDFs (a second download answers 304 unless what the file is made of changed),
and boards bounded, a long column counted "plus de N" and paged by "Voir plus"."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.conftest import POSTGRES_URL
from tests.factories import Factory, World
from veille.actions.enums import ActionStatus
from veille.actions.lists import BOARD_STEP

EXPORT = "/stats/export?table=reports_by_category&format=csv"


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (VEILLE_TEST_POSTGRES_URL)")
@pytest.mark.parametrize("engine_name", ["postgresql"])
def test_postgresql_compiles_no_statement_of_the_app(engine: Engine) -> None:
    """PostgreSQL compiles a statement estimated above 100,000 (its JIT): the statistics'
    counts, whose visibility rule the planner prices high, passed it from a city's 20,000
    reports, and compiling took 375 ms of a 430 ms count at each first view of ``/stats``."""
    with engine.connect() as connection:
        assert connection.execute(text("SHOW jit")).scalar_one() == "off"


def test_a_statistics_export_answers_304_until_its_figures_change(
    world: World, factory: Factory, client_for: Any
) -> None:
    factory.situation(world.body, world.member)
    client = client_for(world.coordinator)
    first = client.get(EXPORT)
    assert first.status_code == 200 and first.content
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"

    again = client.get(EXPORT, headers={"If-None-Match": tag})
    assert again.status_code == 304 and not again.content and again.headers["etag"] == tag
    assert client.get(EXPORT, headers={"If-None-Match": '"other"'}).status_code == 200

    # Another reader, another table or another language: another file.
    assert client_for(world.member).get(EXPORT).headers["etag"] != tag
    assert client.get(EXPORT.replace("format=csv", "format=xlsx")).headers["etag"] != tag

    factory.situation(world.body, world.member, "Tags sur la façade")
    changed = client.get(EXPORT, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag


def test_the_records_marks_are_read_again_only_when_the_data_moved(
    world: World, factory: Factory, client_for: Any, queries: Any
) -> None:
    """The statistics and a body's dashboard are kept under the records' marks, whose counts
    read every report and action (a scan on PostgreSQL): once per data version, not per view."""
    factory.situation(world.body, world.member)
    client = client_for(world.coordinator)
    pages = ("/stats", f"/bodies/{world.body.id}/dashboard")

    def marks_read() -> int:
        with queries() as log:
            assert all(client.get(page).status_code == 200 for page in pages)
        return sum("max(situation.updated_at)" in statement for statement in log.statements)

    assert marks_read() == 1
    assert marks_read() == 0
    factory.situation(world.body, world.member, "Tags sur la façade")
    assert marks_read() == 1


def test_a_convocation_pdf_is_not_printed_again_when_unchanged(
    world: World, factory: Factory, client_for: Any
) -> None:
    meeting = factory.meeting(world.body)
    factory.item(meeting, "Occupation du hall")
    client = client_for(world.chair)
    url = f"/meetings/{meeting.id}/convocation.pdf"
    first = client.get(url)
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    tag = first.headers["etag"]
    assert client.get(url, headers={"If-None-Match": tag}).status_code == 304

    factory.item(meeting, "Rodéos urbains", position=2)
    assert client.get(url, headers={"If-None-Match": tag}).status_code == 200
    # Who may not see the meeting learns nothing from a tag.
    assert client_for(world.other).get(url, headers={"If-None-Match": tag}).status_code == 404


def test_a_long_board_column_shows_its_latest_and_pages(
    world: World, factory: Factory, client_for: Any
) -> None:
    step = BOARD_STEP["finished"]
    for n in range(step + 3):
        factory.action(world.body, world.organisation, f"Action close {n:02d}", status=ActionStatus.done)
    client = client_for(world.chair)
    board = client.get(f"/bodies/{world.body.id}/actions").text
    assert f"plus de {step}" in board
    assert board.count("board-card__title") == step
    assert f"done={2 * step}" in board and "Voir plus" in board

    url = f"/bodies/{world.body.id}/actions?done={2 * step}"
    more = client.get(url, headers={"HX-Request": "true"})
    assert more.status_code == 200 and 'id="board"' in more.text and "<html" not in more.text
    assert more.text.count("board-card__title") == step + 3 and "plus de" not in more.text
    # A count out of range is the default, never an error.
    assert client.get(f"/bodies/{world.body.id}/actions?done=100000").text.count("board-card__title") == step
