"""Every visible string is translated: every message of the code and templates has its French
translation, no entry of the catalogue is empty or fuzzy, and the templates hold no visible text
outside a translation call."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.messages.pofile import read_po
from jinja2 import Environment

from tests.factories import Factory, World
from veille.directory.enums import Language
from veille.i18n import format_day
from veille.meetings.enums import MeetingStatus
from veille.paths import LOCALES, REPO_DIR


def test_every_message_is_translated_into_french(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "--quiet",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "translate",
            "-o",
            str(pot),
            ".",
        ],
        cwd=REPO_DIR,
        check=True,
    )
    with pot.open("rb") as source:
        extracted = {m.id for m in read_po(source) if m.id}
    with (LOCALES / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = read_po(source, locale="fr")
    missing = sorted(
        str(m)
        for m in extracted
        if m not in catalogue
        or not all(catalogue[m].string if isinstance(catalogue[m].string, tuple) else [catalogue[m].string])
    )
    assert not missing, f"messages without French translation (run `make messages`): {missing}"


def test_no_entry_of_the_catalogue_is_empty_or_fuzzy() -> None:
    with (LOCALES / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = read_po(source, locale="fr")
    untranslated = sorted(
        str(m.id)
        for m in catalogue
        if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
    )
    assert not untranslated, f"catalogue entries empty or fuzzy (fill their French): {untranslated}"


# Visible text: words of two letters or more. Numbers, punctuation and symbols need no
# translation, nor these: the product's name and file formats.
WORD = re.compile(r"[^\W\d_]{2,}")
NOT_WORDS = {"Veille", "CSV", "XLSX", "PDF"}
# Attributes a person reads or hears.
VISIBLE_ATTRIBUTES = {
    "alt",
    "aria-label",
    "aria-description",
    "aria-roledescription",
    "aria-valuetext",
    "data-confirm",
    "data-confirm-button",
    "label",
    "placeholder",
    "title",
}
# What a macro emits that is not text: attributes (`name="…"`) and style rules.
ATTRIBUTES = re.compile(r"[\w-]+\s*=\s*\"[^\"]*\"")


def _words(text: str) -> list[str]:
    if "{" in text and ";" in text and "}" in text:
        return []  # style rules (a document's <style>, given by a macro)
    return [w for w in WORD.findall(ATTRIBUTES.sub(" ", text)) if w not in NOT_WORDS]


def _literal_text(source: str) -> str:
    """The template with what Jinja computes taken out: each {{ … }} becomes `x` (a tag's or an
    attribute's name stays whole), each {% … %} a space, and the text of {% trans %} blocks
    (translated) goes."""
    parts: list[str] = []
    in_trans, tag = False, None
    for _line, kind, value in Environment(extensions=["jinja2.ext.i18n"], autoescape=True).lex(source):
        if kind == "block_begin":
            tag = ""
        elif kind == "name" and tag == "":
            tag = value
        elif kind == "block_end":
            in_trans = tag == "trans" or (in_trans and tag != "endtrans")
            tag = None
        if kind == "data" and not in_trans:
            parts.append(value)
        else:
            parts.append("x" if kind == "variable_begin" else " ")
    return "".join(parts)


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in ("script", "style")
        self.found += [
            f'{name}="{value}"' for name, value in attrs if name in VISIBLE_ATTRIBUTES and _words(value or "")
        ]

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self.hidden and _words(data):
            self.found.append(" ".join(data.split()))


def test_templates_hold_no_text_outside_translation_calls() -> None:
    bare: list[str] = []
    for path in sorted((REPO_DIR / "templates").rglob("*")):
        if path.suffix not in (".html", ".txt"):
            continue
        text = _literal_text(path.read_text(encoding="utf-8"))
        if path.suffix == ".txt":  # mail
            found = [" ".join(line.split()) for line in text.splitlines() if _words(line)]
        else:
            parser = _VisibleText()
            parser.feed(text)
            parser.close()
            found = parser.found
        bare += [f"{path.relative_to(REPO_DIR)}: {text!r}" for text in found]
    assert not bare, "visible text outside _() in templates (translate it):\n" + "\n".join(bare)


def test_a_date_opening_a_line_keeps_the_languages_capitals(
    client_for: Any, world: World, factory: Factory
) -> None:
    """ "Thursday 10 December" in English (not "december"), "Jeudi 10 décembre" in French."""
    meeting = factory.meeting(world.body, status=MeetingStatus.convened, in_days=9)
    factory.invite(meeting, world.member)
    month = meeting.starts_at.strftime("%B")
    pages = ("/", f"/bodies/{world.body.id}", "/meetings")
    world.member.language = Language.en
    factory._save(world.member)
    english = client_for(world.member)
    for url in pages:
        text = english.get(url).text
        assert month in text and month.lower() not in text, url
    world.member.language = Language.fr
    factory._save(world.member)
    french = client_for(world.member)
    weekday = r"((Lun|Mar|Mercre|Jeu|Vendre|Same)di|Dimanche) \d+(er)? [a-zéû]+"
    for url in pages[:2]:  # the home's answers, the body's next meeting
        assert re.search(weekday, french.get(url).text), url


def test_the_first_of_a_month_is_written_1er_in_french(
    client_for: Any, world: World, factory: Factory
) -> None:
    """ "Mardi 1er décembre" (Babel writes "1"), "Tuesday 1 December" in English."""
    paris = ZoneInfo("Europe/Paris")
    now = datetime.now(paris)
    first = datetime(now.year + now.month // 12, now.month % 12 + 1, 1, 12, tzinfo=paris)
    meeting = factory.meeting(
        world.body, status=MeetingStatus.convened, in_days=(first - now).total_seconds() / 86400
    )
    factory.invite(meeting, world.member)
    page = client_for(world.member).get(f"/meetings/{meeting.id}").text
    assert re.search(r"1er [a-zéû]+ \d{4}", page)
    assert format_day(first.date(), "EEEE d MMMM", "en") == first.strftime("%A 1 %B")
    assert format_day(first.date() + timedelta(days=1), "d MMMM", "fr").startswith("2 ")


def test_an_attachments_size_is_in_the_readers_unit(client_for: Any, world: World, factory: Factory) -> None:
    """ "1 KB" in English, "1 Ko" in French; a file under a kilobyte is not "0"."""
    situation = factory.situation(world.body, world.member)
    attachment = factory.attachment(situation)
    assert attachment.size < 1024
    for language, size in (("en", "1 KB"), ("fr", "1 Ko")):
        world.member.language = Language(language)
        factory._save(world.member)
        page = client_for(world.member).get(f"/situations/{situation.id}").text
        assert f'attachment__meta">{size}<' in page
