"""The local strategy (issue 19): who reads and edits it (pages and API), the counts and titles
its page, API and PDF show (every attached action counted, titles only of those the reader
reads, never a report's text), the forms' French errors with nothing half-written, and the
page's bounded queries. On both engines."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from tests.factories import Factory, World
from veille.actions.enums import ActionKind, ActionStatus, Effect
from veille.audit.models import AuditEvent
from veille.bodies.enums import BodyKind, BodyStatus, MemberRole
from veille.bodies.models import Body
from veille.directory.enums import UserRole
from veille.directory.models import User, UserCommune
from veille.situations.enums import Confidentiality
from veille.strategy.models import (
    IndicatorValue,
    ObjectiveAction,
    ObjectiveBody,
    Strategy,
    StrategyAxis,
    StrategyIndicator,
    StrategyObjective,
)

SECRET = "Zorglubine"  # a word only a restricted report holds


def plenary(factory: Factory, world: World) -> Body:
    """The world's body becomes the plenary council (chair, secretary, member, guest)."""
    world.body.kind = BodyKind.plenary
    return factory._save(world.body)


def build(factory: Factory, world: World) -> dict[str, Any]:
    """A strategy 2024–2027 of the plenary: an axis, an objective with an indicator and values,
    and three actions attached: one of the plenary (overdue), one done and evaluated in another
    body the chair does not belong to (overdue titles hidden), one overdue there too."""
    body = plenary(factory, world)
    strategy = factory._save(
        Strategy(body_id=body.id, title="Stratégie 2024-2027", starts_year=2024, ends_year=2027)
    )
    axis = factory._save(StrategyAxis(strategy_id=strategy.id, position=1, title="Jeunesse"))
    objective = factory._save(StrategyObjective(axis_id=axis.id, position=1, title="Prévenir le décrochage"))
    indicator = factory._save(
        StrategyIndicator(objective_id=objective.id, name="Jeunes suivis", unit="jeunes", target=120)
    )
    factory._save(IndicatorValue(indicator_id=indicator.id, year=2024, value=80))
    factory._save(IndicatorValue(indicator_id=indicator.id, year=2025, value=97.5))
    own = factory.action(body, world.organisation, "Action de la plénière", due_in_days=-3)
    done = factory.action(
        world.other_body,
        world.organisation,
        "Chantier éducatif du nord",
        kind=ActionKind.deterrent,
        status=ActionStatus.done,
        effect=Effect.positive,
        evaluation=f"Texte d'évaluation {SECRET}",
    )
    late_elsewhere = factory.action(
        world.other_body, world.organisation, "Action cachée en retard", due_in_days=-10
    )
    report = factory.situation(
        world.other_body,
        world.other,
        f"Signalement {SECRET}",
        confidentiality=Confidentiality.restricted,
        description=f"Description {SECRET}",
    )
    del report
    for action in (own, done, late_elsewhere):
        factory._save(ObjectiveAction(objective_id=objective.id, action_id=action.id))
    factory._save(ObjectiveBody(objective_id=objective.id, body_id=world.other_body.id))
    return {
        "strategy": strategy,
        "axis": axis,
        "objective": objective,
        "indicator": indicator,
        "own": own,
        "done": done,
        "late_elsewhere": late_elsewhere,
    }


@pytest.fixture
def built(factory: Factory, world: World) -> dict[str, Any]:
    return build(factory, world)


# Reading


def test_the_page_counts_every_attached_action_and_names_only_those_the_reader_reads(
    built: dict[str, Any], world: World, client_for: Any
) -> None:
    page = client_for(world.member).get(f"/strategies/{built['strategy'].id}")
    assert page.status_code == 200
    text = page.text
    assert "Stratégie 2024-2027" in text and "Jeunesse" in text and "Prévenir le décrochage" in text
    # Three actions attached, two overdue, one evaluated (positive): counts over every body.
    assert "Action de la plénière" in text
    assert "Chantier éducatif du nord" not in text and "Action cachée en retard" not in text
    assert "1 autre action en retard, dans une instance dont vous n’êtes pas membre." in text or (
        "1 autre action en retard" in text
    )
    assert "Jeunes suivis" in text and "97,5" in text and "120" in text
    assert "Cellule de veille du nord" in text  # a body at work on the objective
    assert SECRET not in text
    staff = client_for(world.coordinator).get(f"/strategies/{built['strategy'].id}").text
    assert "Chantier éducatif du nord" in staff and "Action cachée en retard" in staff
    assert SECRET not in staff


def test_the_api_gives_counts_and_only_readable_ids(
    built: dict[str, Any], world: World, api_for: Any
) -> None:
    answer = api_for(world.member).get(f"/api/v1/strategies/{built['strategy'].id}")
    assert answer.status_code == 200
    objective = answer.json()["axes"][0]["objectives"][0]
    assert objective["action_ids"] == [built["own"].id]
    assert sum(objective["actions_by_status"].values()) == 3
    assert objective["actions_by_kind"] == {"preventive": 2, "deterrent": 1}
    assert objective["effects"] == {"positive": 1}
    assert objective["overdue"] == 2
    assert objective["indicators"][0]["values"] == {"2024": 80.0, "2025": 97.5}
    assert objective["body_ids"] == [world.other_body.id]
    assert SECRET not in answer.text
    everything = api_for(world.admin).get(f"/api/v1/strategies/{built['strategy'].id}").json()
    assert len(everything["axes"][0]["objectives"][0]["action_ids"]) == 3


@pytest.mark.parametrize(
    ("persona", "page", "change"),
    [
        ("admin", 200, 303),
        ("coordinator", 200, 303),
        ("chair", 200, 303),
        ("secretary", 200, 303),
        ("member", 200, 403),
        ("guest", 404, 404),
        ("other", 404, 404),
    ],
)
def test_who_reads_and_who_edits(
    built: dict[str, Any], world: World, client_for: Any, api_for: Any, persona: str, page: int, change: int
) -> None:
    user = world.persona(persona)
    sid = built["strategy"].id
    client = client_for(user)
    assert client.get(f"/strategies/{sid}").status_code == page
    assert client.get(f"/strategies/{sid}.pdf").status_code == page if page == 404 else True
    edit = client.post(f"/strategies/{sid}/axes", data={"csrf_token": client.csrf, "title": "Tranquillité"})
    assert edit.status_code == change
    api = api_for(user)
    assert api.get(f"/api/v1/strategies/{sid}").status_code == page
    answer = api.post(f"/api/v1/strategies/{sid}/axes", json={"title": "Violences"})
    assert answer.status_code == {303: 201}.get(change, change)
    listed = [s["id"] for s in api.get("/api/v1/strategies").json()]
    assert listed == ([sid] if page == 200 else [])


def test_a_closed_plenary_s_strategy_is_read_only(
    built: dict[str, Any], world: World, session: Session, api_for: Any
) -> None:
    world.body.status = BodyStatus.closed
    session.add(world.body)
    session.commit()
    answer = api_for(world.chair).put(
        f"/api/v1/strategies/{built['strategy'].id}/axes/{built['axis'].id}", json={"title": "Autre"}
    )
    assert answer.status_code == 409


# Changes


def test_adopt_a_strategy_through_the_page_with_french_errors(
    factory: Factory, world: World, client_for: Any, session: Session
) -> None:
    body = plenary(factory, world)
    client = client_for(world.chair)
    form = {"csrf_token": client.csrf, "body_id": str(body.id), "title": "Stratégie", "starts_year": "2027"}
    refused = client.post("/strategies/new", data=form | {"ends_year": "2024"})
    assert refused.status_code == 422
    assert "La dernière année précède la première." in refused.text
    too_long = client.post("/strategies/new", data=form | {"starts_year": "2020", "ends_year": "2030"})
    assert "Une stratégie couvre dix ans au plus." in too_long.text
    not_a_year = client.post("/strategies/new", data=form | {"ends_year": "deux mille"})
    assert not_a_year.status_code == 422 and "Saisissez un nombre entier." in not_a_year.text
    assert session.exec(select(Strategy)).all() == []
    other = client.post(
        "/strategies/new", data=form | {"ends_year": "2029", "body_id": str(world.other_body.id)}
    )
    assert other.status_code == 422 and session.exec(select(Strategy)).all() == []
    made = client.post("/strategies/new", data=form | {"ends_year": "2029", "adopted_on": "2026-11-30"})
    assert made.status_code == 303
    session.rollback()
    strategy = session.exec(select(Strategy)).one()
    assert (strategy.starts_year, strategy.ends_year, strategy.adopted_on) == (2027, 2029, date(2026, 11, 30))
    assert made.headers["location"] == f"/strategies/{strategy.id}/structure"
    assert client.get(made.headers["location"]).status_code == 200
    # A member of the plenary may not adopt one: nothing to choose.
    member = client_for(world.member)
    assert member.get("/strategies/new").status_code == 403


def _limited_coordinator(factory: Factory, world: World) -> User:
    """A coordinator limited to the centre's commune (a neighbouring commune exists)."""
    factory.commune("Bourg-Voisin")
    limited = factory.user("Lucie Limitée", role=UserRole.coordinator, organisation=world.organisation)
    factory._save(UserCommune(user_id=limited.id or 0, commune_id=world.sector.commune_id))
    return limited


def test_a_limited_coordinator_adopts_and_edits_no_plenary_beyond_their_communes(
    factory: Factory, world: World, session: Session, client_for: Any, api_for: Any
) -> None:
    """The intercommunal plenary has no sector: beyond a limited coordinator's reach. They adopt
    nothing for it (nothing offered, 403), and sitting in it as a member they read its strategy
    but may not edit it (403), in pages and API."""
    cispd = factory.body("CISPD", kind=BodyKind.plenary)
    strategy = factory._save(
        Strategy(body_id=cispd.id, title="Stratégie intercommunale", starts_year=2024, ends_year=2027)
    )
    limited = _limited_coordinator(factory, world)
    page, api = client_for(limited), api_for(limited)
    assert page.get("/strategies/new").status_code == 403
    assert 'href="/strategies/new"' not in page.get("/strategies").text
    new = {"body_id": cispd.id, "title": "Autre", "starts_year": 2025, "ends_year": 2026}
    assert api.post("/api/v1/strategies", json=new).status_code == 403
    form = {k: str(v) for k, v in new.items()}
    assert page.form("/strategies/new", form).status_code == 403
    assert page.get(f"/strategies/{strategy.id}").status_code == 404
    # A plain member of the plenary: reads, may not edit.
    factory.member(cispd, limited, MemberRole.member)
    sid = strategy.id
    shown = page.get(f"/strategies/{sid}")
    assert shown.status_code == 200 and "Stratégie intercommunale" in shown.text
    assert f'href="/strategies/{sid}/structure"' not in shown.text
    assert page.get(f"/strategies/{sid}/structure").status_code == 403
    assert page.form(f"/strategies/{sid}/axes", {"title": "Tranquillité"}).status_code == 403
    assert api.get(f"/api/v1/strategies/{sid}").status_code == 200
    assert api.post(f"/api/v1/strategies/{sid}/axes", json={"title": "Violences"}).status_code == 403
    changed = {"title": "Autre", "starts_year": 2024, "ends_year": 2027, "version": 1}
    assert api.put(f"/api/v1/strategies/{sid}", json=changed).status_code == 403
    assert api.delete(f"/api/v1/strategies/{sid}").status_code == 403
    assert api.post("/api/v1/strategies", json=new).status_code == 403
    session.rollback()
    assert session.exec(select(StrategyAxis)).all() == []
    assert [s.title for s in session.exec(select(Strategy)).all()] == ["Stratégie intercommunale"]
    # The unlimited coordinator still edits it.
    assert (
        api_for(world.coordinator).post(f"/api/v1/strategies/{sid}/axes", json={"title": "V"}).status_code
        == 201
    )


def test_a_limited_coordinator_adopts_for_a_plenary_of_their_communes_only(
    factory: Factory, world: World, session: Session, client_for: Any, api_for: Any
) -> None:
    """The centre's plenary (its sector in their commune) is theirs to set up; the CISPD is not
    offered, and choosing it is refused as any plenary one may not choose (422)."""
    own = plenary(factory, world)
    cispd = factory.body("CISPD", kind=BodyKind.plenary)
    limited = _limited_coordinator(factory, world)
    page, api = client_for(limited), api_for(limited)
    form = page.get("/strategies/new")
    assert form.status_code == 200
    assert f'value="{own.id}"' in form.text and "CISPD" not in form.text
    new = {"title": "Stratégie", "starts_year": 2025, "ends_year": 2026}
    refused = api.post("/api/v1/strategies", json=new | {"body_id": cispd.id})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "body_id"]
    made = api.post("/api/v1/strategies", json=new | {"body_id": own.id})
    assert made.status_code == 201
    sid = made.json()["id"]
    assert api.post(f"/api/v1/strategies/{sid}/axes", json={"title": "Jeunesse"}).status_code == 201
    session.rollback()
    assert [s.body_id for s in session.exec(select(Strategy)).all()] == [own.id]


def test_axes_objectives_indicators_and_values_through_the_pages(
    built: dict[str, Any], world: World, client_for: Any, session: Session
) -> None:
    client = client_for(world.secretary)
    sid, axis = built["strategy"].id, built["axis"]
    csrf = {"csrf_token": client.csrf}
    assert client.post(f"/strategies/{sid}/axes", data=csrf | {"title": ""}).status_code == 422
    assert (
        client.post(f"/strategies/{sid}/axes", data=csrf | {"title": "Tranquillité publique"}).status_code
        == 303
    )
    added = client.post(
        f"/strategies/{sid}/axes/{axis.id}/objectives", data=csrf | {"title": "Lieux d'accueil"}
    )
    assert added.status_code == 303
    session.rollback()
    objective = session.exec(
        select(StrategyObjective).where(StrategyObjective.title == "Lieux d'accueil")
    ).one()
    assert objective.position == 2
    page = client.get(f"/strategies/{sid}/objectives/{objective.id}")
    assert page.status_code == 200 and "Action de la plénière" in page.text
    url = f"/strategies/{sid}/objectives/{objective.id}/indicators"
    bad = client.post(url, data=csrf | {"name": "Taux", "target": "beaucoup"})
    assert bad.status_code == 422 and "Saisissez un nombre." in bad.text
    assert client.post(url, data=csrf | {"name": "Taux", "unit": "%", "target": "12,5"}).status_code == 303
    session.rollback()
    indicator = session.exec(select(StrategyIndicator).where(StrategyIndicator.name == "Taux")).one()
    assert indicator.target == 12.5
    edit = f"/strategies/{sid}/indicators/{indicator.id}"
    wrong = client.post(edit, data=csrf | {"name": "Taux", "value_2024": "1e999"})
    assert wrong.status_code == 422
    assert session.exec(select(IndicatorValue).where(IndicatorValue.indicator_id == indicator.id)).all() == []
    saved = client.post(
        edit, data=csrf | {"name": "Taux", "unit": "%", "value_2024": "10", "value_2026": "8,25"}
    )
    assert saved.status_code == 303
    session.rollback()
    values = session.exec(select(IndicatorValue).where(IndicatorValue.indicator_id == indicator.id)).all()
    assert {(v.year, v.value) for v in values} == {(2024, 10.0), (2026, 8.25)}
    # A blank value removes that year's.
    client.post(edit, data=csrf | {"name": "Taux", "value_2024": "", "value_2026": "8,25"})
    session.rollback()
    values = session.exec(select(IndicatorValue).where(IndicatorValue.indicator_id == indicator.id)).all()
    assert {v.year for v in values} == {2026}
    links = f"/strategies/{sid}/objectives/{objective.id}/links"
    refused = client.post(links, data=csrf | {"action_ids": [str(built["late_elsewhere"].id)]})
    assert refused.status_code == 422 and "Choisissez des actions que vous pouvez lire." in refused.text
    ok = client.post(
        links, data=csrf | {"action_ids": [str(built["own"].id)], "body_ids": [str(world.body.id)]}
    )
    assert ok.status_code == 303
    session.rollback()
    assert session.exec(
        select(ObjectiveAction.action_id).where(ObjectiveAction.objective_id == objective.id)
    ).all() == [built["own"].id]
    indicator_id = indicator.id
    delete = client.post(f"/strategies/{sid}/indicators/{indicator_id}/delete", data=csrf)
    session.rollback()
    assert delete.status_code == 303 and session.get(StrategyIndicator, indicator_id) is None
    assert session.exec(select(AuditEvent).where(AuditEvent.entity == "strategy_indicator")).all()


def test_an_editor_keeps_the_attached_actions_they_do_not_read(
    built: dict[str, Any], world: World, api_for: Any, session: Session
) -> None:
    """The chair sees only the plenary's action; replacing the links keeps the two of the other
    body, which someone else attached."""
    objective = built["objective"]
    answer = api_for(world.chair).put(
        f"/api/v1/strategies/{built['strategy'].id}/objectives/{objective.id}/links",
        json={"action_ids": [], "body_ids": []},
    )
    assert answer.status_code == 200
    assert answer.json() == {"action_ids": [], "body_ids": []}
    session.rollback()
    kept = session.exec(
        select(ObjectiveAction.action_id).where(ObjectiveAction.objective_id == objective.id)
    ).all()
    assert set(kept) == {built["done"].id, built["late_elsewhere"].id}


def test_api_values_and_bounds(built: dict[str, Any], world: World, api_for: Any) -> None:
    api = api_for(world.coordinator)
    sid, indicator = built["strategy"].id, built["indicator"]
    url = f"/api/v1/strategies/{sid}/indicators/{indicator.id}/values"
    assert api.put(url, json={"year": 2030, "value": 1}).status_code == 422
    assert api.put(url, json={"year": 2026, "value": "NaN"}).status_code == 422
    answer = api.put(url, json={"year": 2026, "value": 110})
    assert answer.status_code == 200 and answer.json()["values"]["2026"] == 110
    assert api.put(url, json={"year": 2024, "value": None}).json()["values"] == {"2025": 97.5, "2026": 110.0}
    stale = api.put(
        f"/api/v1/strategies/{sid}",
        json={"title": "Autre", "starts_year": 2024, "ends_year": 2027, "version": 1},
    )
    assert stale.status_code == 409  # every change to a part is a new version of the strategy
    other = api.get(f"/api/v1/strategies/{sid}/axes/999999")
    assert other.status_code == 405
    assert api.delete(f"/api/v1/strategies/{sid}/objectives/999999").status_code == 404
    created = api.post(
        "/api/v1/strategies",
        json={"body_id": world.other_body.id, "title": "X", "starts_year": 2024, "ends_year": 2025},
    )
    assert created.status_code == 422  # not a plenary
    assert api.delete(f"/api/v1/strategies/{sid}").status_code == 204
    assert api.get(f"/api/v1/strategies/{sid}").status_code == 404


# The PDF


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (poppler-utils)")
    path = tmp_path / "strategy.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_pdf_holds_counts_values_and_only_readable_titles(
    built: dict[str, Any], world: World, client_for: Any, tmp_path: Path
) -> None:
    answer = client_for(world.chair).get(f"/strategies/{built['strategy'].id}.pdf")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    text = " ".join(_pdf_text(answer.content, tmp_path).split())
    assert "Stratégie 2024-2027" in text and "JEUNESSE" in text and "1.1 Prévenir le décrochage" in text
    assert "Actions rattachées : 3 · Ouvertes : 2 · Évaluées : 1 · En retard : 2" in text
    assert "Préventive 0 2 0 0 0 Dissuasive 0 0 0 1 0" in text and "Positif 1" in text
    assert "Jeunes suivis (jeunes) Cible 2024 2025 2026 2027 120 80 97,5 — —" in text
    assert "Action de la plénière" in text
    assert "Action cachée en retard" not in text and "Chantier éducatif du nord" not in text
    assert "1 autre action en retard" in text
    assert SECRET not in text


# Queries


def test_the_page_s_queries_do_not_grow_with_the_strategy(
    factory: Factory, world: World, client_for: Any, queries: Any, session: Session
) -> None:
    built = build(factory, world)
    client = client_for(world.member)
    url = f"/strategies/{built['strategy'].id}"
    client.get(url)
    with queries() as small:
        assert client.get(url).status_code == 200
    for n in range(3):
        axis = factory._save(StrategyAxis(strategy_id=built["strategy"].id, position=n + 2, title=f"Axe {n}"))
        for m in range(3):
            objective = factory._save(
                StrategyObjective(axis_id=axis.id, position=m + 1, title=f"Objectif {n}.{m}")
            )
            indicator = factory._save(
                StrategyIndicator(objective_id=objective.id, name=f"Indicateur {n}.{m}")
            )
            factory._save(IndicatorValue(indicator_id=indicator.id, year=2025, value=m))
            action = factory.action(world.body, world.organisation, f"Action {n}.{m}", due_in_days=-1)
            factory._save(ObjectiveAction(objective_id=objective.id, action_id=action.id))
            factory._save(ObjectiveBody(objective_id=objective.id, body_id=world.body.id))
    with queries() as large:
        assert client.get(url).status_code == 200
    assert large.count == small.count <= 12, large.statements


def test_a_guest_of_the_plenary_sees_no_strategy(
    built: dict[str, Any], world: World, client_for: Any
) -> None:
    listing = client_for(world.guest).get("/strategies")
    assert listing.status_code == 200 and "Stratégie 2024-2027" not in listing.text
    assert client_for(world.member).get("/strategies").text.count("Stratégie 2024-2027") == 1


# The annual report


def test_the_annual_report_is_organised_by_axis_when_a_strategy_covers_its_year(
    built: dict[str, Any], world: World, client_for: Any, tmp_path: Path
) -> None:
    client = client_for(world.chair)
    year = date.today().year
    page = client.get(f"/bodies/{world.body.id}/annual-report?year={year}")
    assert page.status_code == 200
    text = page.text
    assert "Par axe de la stratégie locale" in text
    assert "1. Jeunesse" in text and "1.1 Prévenir le décrochage" in text
    assert "Jeunes suivis" in text and "(cible 120)" in text
    # Aggregates only: no action's title, whoever they belong to.
    assert "Action de la plénière" not in text and "Chantier éducatif du nord" not in text
    assert SECRET not in text
    before = client.get(f"/bodies/{world.body.id}/annual-report?year=2023")
    assert "Par axe de la stratégie locale" not in before.text
    pdf = client.get(f"/bodies/{world.body.id}/annual-report.pdf?year={year}")
    words = " ".join(_pdf_text(pdf.content, tmp_path).split())
    assert "PAR AXE DE LA STRATÉGIE LOCALE" in words.upper() and "Prévenir le décrochage" in words
    assert "Action de la plénière" not in words and SECRET not in words


# An action's page


def test_whoever_reads_an_action_sees_its_objective_and_a_link_only_if_they_read_the_strategy(
    built: dict[str, Any], world: World, factory: Factory, client_for: Any
) -> None:
    outsider = factory.user("Nina Nord", organisation=world.organisation, email="nina@example.org")
    factory.member(world.other_body, outsider)
    page = client_for(outsider).get(f"/actions/{built['done'].id}")
    assert page.status_code == 200
    assert "Prévenir le décrochage (Jeunesse – Stratégie 2024-2027, 2024–2027)" in page.text
    assert f"/strategies/{built['strategy'].id}" not in page.text
    member = client_for(world.member).get(f"/actions/{built['own'].id}")
    assert f'href="/strategies/{built["strategy"].id}#objective-{built["objective"].id}"' in member.text
    assert client_for(world.other).get(f"/actions/{built['own'].id}").status_code == 404


# In a browser


@pytest.mark.browser
def test_the_strategy_page_and_an_objective_s_form_fit_a_phone(
    built: dict[str, Any], world: World, page: Any, live_server: str, screenshot_dir: Path
) -> None:
    from playwright.sync_api import expect

    from tests.test_pages_phone import PHONE, log_in

    log_in(page, live_server, "secretary@example.org")
    page.set_viewport_size(PHONE)
    sid, objective = built["strategy"].id, built["objective"].id
    page.goto(f"{live_server}/strategies/{sid}")
    expect(page.get_by_role("heading", name="Stratégie 2024-2027")).to_be_visible()
    expect(page.get_by_role("heading", name="1.1 Prévenir le décrochage")).to_be_visible()
    # Nothing but the tables' own scrolling regions is wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(screenshot_dir / "strategy-phone.png"), full_page=True)
    page.goto(f"{live_server}/strategies/{sid}/objectives/{objective}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_label("2026").fill("beaucoup")
    page.get_by_role("button", name="Enregistrer l’indicateur").click()
    expect(page.get_by_text("Saisissez un nombre.").first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "strategy-objective-phone.png"), full_page=True)
