"""A meeting's whole life in a real headless Chromium: the secretary plans it, builds and
reorders the agenda, convenes, records attendance, writes notes, approves and downloads the
minutes; screenshots of the meeting page and of the PDF's first page go to test-artifacts/."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import update
from sqlmodel import Session, col

from tests.factories import PASSWORD, World
from veille.meetings.models import Meeting
from veille.orm import utcnow

pytestmark = pytest.mark.browser
PARIS = ZoneInfo("Europe/Paris")  # the settings' default time zone
SETTLED = "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"


def _log_in(page: Any, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/$"))


def _confirm(page: Any, button: str) -> None:
    page.get_by_role("button", name=button, exact=True).first.click()
    page.get_by_role("dialog").get_by_role("button", name=button.split(" ")[0]).click()


def _titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator(".agenda-item__title").all_inner_texts()]


def test_secretary_runs_a_meeting_from_agenda_to_pdf(
    page: Any, live_server: str, world: World, screenshot_dir: Path, tmp_path: Path, session: Session
) -> None:
    _log_in(page, live_server, "secretary@example.org")
    page.goto(f"{live_server}/bodies/{world.body.id}/meetings")
    page.get_by_role("link", name="Nouvelle réunion").click()
    # Within the next two hours, so that presence can be recorded (it opens two hours before).
    start = (datetime.now(PARIS) + timedelta(minutes=90)).replace(minute=0, second=0, microsecond=0)
    end = min(start + timedelta(hours=2), start.replace(hour=23, minute=59))
    page.get_by_label("Jour").fill(start.date().isoformat())
    page.get_by_label("Début").fill(start.strftime("%H:%M"))
    page.get_by_label("Fin").fill(end.strftime("%H:%M"))
    page.get_by_label("Lieu").fill("Hôtel de ville, salle des commissions")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(re.compile(r".*/meetings/\d+$"))
    assert page.get_by_text("La réunion est planifiée.").is_visible()

    # Build the agenda: one more item, then move it to the top by drag and drop and back with
    # the keyboard's buttons.
    # A notes field resized by hand carries an inline style, which htmx copied onto the agenda
    # drawn again: refused by the content security policy, one console error each.
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.evaluate("document.querySelectorAll('textarea').forEach(t => { t.style.height = '9em'; })")
    page.get_by_text("Ajouter un point").click()
    page.locator("#field-title").fill("Rodéos motorisés sur le parking du marché")
    page.locator("#field-presenter").fill("Police municipale")
    page.get_by_role("button", name="Ajouter à l’ordre du jour").click()
    page.locator(".agenda-item__title", has_text="Rodéos motorisés").wait_for()
    # Focus and the message go to the item added (they went to the agenda's heading and to the
    # page's top, screens away on a phone).
    added = page.locator(".agenda-item", has_text="Rodéos motorisés")
    expect(added.locator(".agenda-item__title")).to_be_focused()
    expect(added.get_by_text("Le point est ajouté à l’ordre du jour.")).to_be_in_viewport()
    expect(page.locator("#flashes .flash")).to_have_count(0)
    assert refused == []
    assert _titles(page)[-1].endswith("Rodéos motorisés sur le parking du marché")
    page.set_viewport_size({"width": 1280, "height": 3000})  # both items on screen for the drag
    items = page.locator(".agenda-item")
    items.last.locator(".agenda-item__number").drag_to(items.first.locator(".agenda-item__number"))
    page.get_by_text("L’ordre du jour est réordonné.").wait_for()
    expect(page.locator(".agenda-item__title").first).to_contain_text("Rodéos")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    assert "Rodéos" in _titles(page)[0]  # the order was saved
    # The agenda is drawn again at each move: the keyboard stays on the item moved.
    down = page.get_by_role("button", name="Descendre\u00a0: Rodéos motorisés sur le parking du marché")
    up = page.get_by_role("button", name="Monter\u00a0: Rodéos motorisés sur le parking du marché")
    down.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".agenda-item__title").nth(1)).to_contain_text("Rodéos")
    expect(down).to_be_focused()
    # htmx gives the new form its handler once settled: a key pressed before posts it without
    # htmx (the whole page comes back), as a person pressing twice at once would.
    page.wait_for_function(SETTLED)
    up.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".agenda-item__title").first).to_contain_text("Rodéos")
    expect(down).to_be_focused()  # first, it cannot go up: on its other button
    page.wait_for_function(SETTLED)
    page.keyboard.press("Enter")
    expect(page.locator(".agenda-item__title").nth(1)).to_contain_text("Rodéos")
    expect(down).to_be_focused()

    # An item's edit form is loaded when its part is opened, then saved in place.
    rodeos = page.locator(".agenda-item", has_text="Rodéos")
    rodeos.get_by_text("Modifier, reporter ou retirer ce point").click()
    presenter = rodeos.get_by_label("Intervenant·e")
    presenter.fill("Police municipale et bailleur")
    rodeos.get_by_role("button", name="Enregistrer le point").click()
    page.get_by_text("Le point est enregistré.").wait_for()
    expect(page.locator(".agenda-item", has_text="Rodéos")).to_contain_text(
        "Présenté par Police municipale et bailleur"
    )

    _confirm(page, "Convoquer")
    page.get_by_text("La réunion est convoquée").wait_for()

    # During the meeting: presence, then notes saved as they are typed.
    page.get_by_role("button", name="Présent·e – Marc Membre").click()
    page.get_by_text("La présence est enregistrée.").wait_for()
    # The list is drawn again; focus stays on the button used, not the list's heading.
    expect(page.get_by_role("button", name="Présent·e – Marc Membre")).to_be_focused()
    notes = page.locator(".agenda-item", has_text="Rodéos").get_by_label("Notes (compte rendu de ce point)")
    notes.fill("Trois rodéos signalés le dimanche soir ; présence policière renforcée.")
    page.locator(".agenda-item", has_text="Rodéos").get_by_text("Enregistré à").wait_for()
    decisions = page.locator(".agenda-item", has_text="Rodéos").get_by_label("Décisions")
    decisions.fill("Arrêté d’interdiction de stationner le dimanche ; bilan à la prochaine cellule.")
    with page.expect_response(  # leaving the field saves it at once ("change"), not 1.5 s later
        lambda response: (
            response.request.method == "POST"
            and "/notes" in response.url
            and "Arr%C3%AAt%C3%A9" in (response.request.post_data or "")
        )
    ) as saved:
        decisions.blur()
    assert saved.value.ok
    page.get_by_label("Notes (compte rendu de ce point)").first.fill("Tour de table sans fait marquant.")
    page.locator(".agenda-item").first.get_by_text("Enregistré à").wait_for()
    for width, viewport in (
        ("desktop", {"width": 1280, "height": 900}),
        ("phone", {"width": 390, "height": 844}),
    ):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(screenshot_dir / f"meeting-during-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    # The minutes are approved once the meeting has begun: it began a minute ago.
    meeting_id = int(page.url.rsplit("/", 1)[1].split("#")[0])
    a_minute_ago = utcnow() - timedelta(minutes=1)
    session.execute(update(Meeting).where(col(Meeting.id) == meeting_id).values(starts_at=a_minute_ago))
    session.commit()
    page.reload()
    assert "présence policière renforcée" in page.content()  # the notes were saved
    _confirm(page, "Approuver le compte rendu")
    page.get_by_text("Le compte rendu est approuvé").wait_for()
    assert page.get_by_role("button", name="Ajouter un point").count() == 0

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Compte rendu (PDF)").click()
    pdf = tmp_path / "compte-rendu.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert "Compte rendu" in text and "Marc Membre" in text and "Arrêté d’interdiction" in text
    # Its first page as an image, to look at (poppler-utils, installed by .ci/run).
    first_page = ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"]
    subprocess.run([*first_page, str(pdf), str(screenshot_dir / "minutes-pdf")], check=True)


def _pdf_text(pdf: Path) -> str:
    command = ["pdftotext", "-layout", str(pdf), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout
