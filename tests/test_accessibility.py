"""The accessibility gate: axe-core on every page of the route table, in a real Chromium.

- **Which pages.** Every GET route of the access matrix (`tests/test_access_matrix.py`, itself
  checked against the application's route table) that renders an HTML page: the API, files
  (PDF, calendar, CSV exports, attachments, static files), the event stream and the fragments
  named in `NOT_PAGES` are left out. A new page is covered as soon as it is in the matrix; a
  route that answers something other than an HTML page fails here until it is named in
  `NOT_PAGES`. The "page not found" page is walked too.
- **As whom.** Each page is opened as each persona for whom the matrix says `ok`, in one world
  seeded once per test with the setups of those matrix entries (the body's kind is changed last,
  for the crime-treatment group's and the plenary's pages).
- **Widths and languages.** A full persona × width × language product would be 32 walks of the
  whole site; the gate does this instead: every persona on every page it may open at 1366 × 900
  in French, and every page at both widths (1366 × 900 and 390 × 844) in both languages as
  the first persona of `COVER_ORDER` that may open it. Each walk is one test (one browser
  context, reused for all its pages), so xdist spreads them.
- **What fails.** Any violation of impact serious or critical, printed with its rule, target,
  page, persona, width and language. No rule is turned off.
- **Settled pages.** The context asks for reduced motion, and each page is checked once what
  htmx loads by itself has arrived (no `htmx-request`, `htmx-settling`… class left) and no
  transition or animation is running (`SETTLED`).
- **Time.** 20 walks, `-n 2`, on an AMD EPYC of two vCPUs (2026-12-07): 2 min 36 to 2 min 52 s,
  where adding axe to each page after it loaded took 3 min 8 s (below).
- **Screenshots.** The ten busiest pages (`BUSIEST`) at both widths in both languages go to
  `test-artifacts/a11y-<page>-<width>-<language>.png`, for people to look at.

axe-core 4.12.1 is vendored in `tests/vendor/axe-core-4.12.1/` (MPL-2.0) and given to the
walk's browser context as an init script: sent once, it runs in each page before the page's own
scripts. An init script is the browser's, not the page's, so the pages keep their strict CSP and
are checked as people see them (a style the CSP blocked would count). Added to each page after
it loaded (`page.add_script_tag`, which needed the CSP bypassed), axe was sent and parsed again
at each page, about 0.2 s a page on a slow machine; that delay also hid a race `SETTLED` now
waits out (its comment).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import Engine

from tests.factories import PERSONAS, Factory, World
from tests.test_access_matrix import MATRIX, OK, Case, _url, crime_treatment_group, plenary
from veille.auth import service as auth
from veille.auth.models import TokenKind
from veille.config import Settings
from veille.db import open_session
from veille.deps import SESSION_COOKIE
from veille.directory.enums import Language

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core-4.12.1" / "axe.min.js"
WIDTHS = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
LOCALES = {"fr": "fr-FR", "en": "en-GB"}
# GET routes of the matrix that are not HTML pages (besides the API, files and static files,
# left out by their path): the live meeting's event stream and its parts (fragments), an
# attachment, the map's JSON.
NOT_PAGES = {
    "/meetings/{meeting_id}/live",
    "/meetings/{meeting_id}/live/{part}",
    "/situations/{situation_id}/attachments/{attachment_id}",
    "/map/data",
}
FILE_ENDINGS = (".pdf", ".ics", ".json", "/export", "/favicon.ico", "/healthz", "/docs")
# Setups that change the body itself: applied last, just before their own pages.
LAST = (crime_treatment_group, plenary)
# Who opens each page at the other widths and languages: the first of these who may.
COVER_ORDER = ("member", "chair", "coordinator", "admin", "secretary", "guest", "other", "anonymous")
NOT_FOUND = "/no-such-page"
# The ten busiest pages: a full-page screenshot of each, at both widths and in both languages,
# as the persona who walks it there, goes to test-artifacts/ (a11y-<page>-<width>-<language>.png).
BUSIEST = {
    "/": "home",
    "/bodies/{body_id}": "body",
    "/meetings/{meeting_id}": "meeting",
    "/situations": "report-feed",
    "/situations/{situation_id}": "report",
    "/actions": "action-table",
    "/bodies/{body_id}/actions": "board",
    "/stats": "stats",
    "/bodies/{body_id}/dashboard": "dashboard",
    "/meetings": "my-meetings",
}


@pytest.fixture
def engine_name() -> str:
    """What a page looks like does not depend on the engine: the gate runs on SQLite."""
    return "sqlite"


def _is_page(path: str) -> bool:
    return (
        not path.startswith(("/api/", "/static"))
        and not path.endswith(FILE_ENDINGS)
        and path not in NOT_PAGES
    )


PAGES: dict[str, Case] = {
    path: case for (method, path), case in MATRIX.items() if method == "GET" and _is_page(path)
}


def _pages_of(persona: str) -> list[str]:
    return [path for path, case in PAGES.items() if case.expect[persona] == OK]


def _covered_by(persona: str) -> list[str]:
    """The pages this persona opens at the other widths and languages."""
    earlier = COVER_ORDER[: COVER_ORDER.index(persona)]
    return [p for p in _pages_of(persona) if not any(PAGES[p].expect[e] == OK for e in earlier)]


WALKS = [pytest.param(persona, "laptop", "fr", id=f"{persona}-laptop-fr") for persona in PERSONAS] + [
    pytest.param(persona, width, language, id=f"{persona}-{width}-{language}")
    for width, language in (("phone", "fr"), ("laptop", "en"), ("phone", "en"))
    for persona in COVER_ORDER
    if _covered_by(persona)
]


def _setup_key(setup: Callable[[Factory, World], None]) -> tuple[Any, ...]:
    """The same setup built twice (`meeting()` in two entries) is applied once."""
    cells = tuple(cell.cell_contents for cell in setup.__closure__ or ())
    return (setup.__qualname__, *cells)


def _seed(factory: Factory, world: World, paths: list[str]) -> list[tuple[str | None, str]]:
    """Applies the setups of these pages once, and gives the walk's order: (the setup to apply
    just before, the page)."""
    applied: set[tuple[Any, ...]] = set()
    walk: list[tuple[str | None, str]] = []
    late: list[tuple[str | None, str]] = []
    for path in paths:
        setup = PAGES[path].setup
        if setup in LAST:
            late.append((setup.__qualname__, path))  # type: ignore[union-attr]
            continue
        if setup is not None and _setup_key(setup) not in applied:
            applied.add(_setup_key(setup))
            setup(factory, world)
        walk.append((None, path))
    late.sort()
    return walk + late


# The settled page: what htmx loads on its own has arrived and been swapped in, and no
# transition or animation is still running. The context asks for reduced motion, so they last
# 0.01 ms, but one that has just begun (a swapped card's opacity coming back from
# `.htmx-swapping`'s 0.6 when htmx settles it) reads its first value until the next frame:
# axe, run at once, measured that card's contrast at 2.78.
BUSY = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"
SETTLED = f"""() => !document.querySelector('{BUSY}')
  && document.getAnimations().every(a => a.playState === 'finished')"""
# What keeps a page from settling, named when it never does.
RUNNING = f"""() => [...document.querySelectorAll('{BUSY}')].map(e => e.className)
  .concat(document.getAnimations().filter(a => a.playState !== 'finished')
  .map(a => `${{a.constructor.name}} ${{a.animationName || a.transitionProperty || ''}}`
    + ` on ${{a.effect?.target?.className || a.effect?.target?.tagName}}`))"""
AXE_RUN = r"""async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(" ")),
                why: v.nodes[0].failureSummary.replace(/\s+/g, " ")}));
}"""


def _violations(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate(AXE_RUN))


@pytest.mark.parametrize(("persona", "width", "language"), WALKS)
def test_no_serious_accessibility_violation(
    persona: str,
    width: str,
    language: str,
    browser: Any,
    live_server: str,
    world: World,
    factory: Factory,
    settings: Settings,
    engine: Engine,
    screenshot_dir: Path,
) -> None:
    paths = _pages_of(persona) if (width, language) == ("laptop", "fr") else _covered_by(persona)
    walk = _seed(factory, world, paths)
    user = world.persona(persona)
    context = browser.new_context(locale=LOCALES[language], viewport=WIDTHS[width], reduced_motion="reduce")
    if user is not None:
        user.language = Language(language)
        factory._save(user)
        with open_session(engine, write=True) as writer:
            raw, _ = auth.issue_token(writer, settings, user=user, kind=TokenKind.session)
        context.add_cookies([{"name": SESSION_COOKIE, "value": raw, "url": live_server}])
    context.add_init_script(path=str(AXE))  # sent once; each page runs it before its own scripts
    page = context.new_page()
    page.set_default_timeout(15_000)
    found: list[str] = []
    wrong: list[str] = []
    unsettled: list[str] = []
    try:
        for late_setup, path in [*walk, (None, NOT_FOUND)]:
            if late_setup is not None:
                next(s for s in LAST if s.__qualname__ == late_setup)(factory, world)
            case = PAGES.get(path)
            url = _url(path, world, case.params) if case else path
            if case and case.query:
                url += f"?{urlencode(case.query)}"
            response = page.goto(live_server + url)
            status = response.status if response else 0
            kind = (response.headers.get("content-type", "") if response else "").split(";")[0]
            if status != (404 if path == NOT_FOUND else 200) or kind != "text/html":
                wrong.append(f"{url}: {status} {kind}")
                continue
            try:
                page.wait_for_function(SETTLED)
            except PlaywrightTimeout:
                unsettled.append(f"{url}: {page.evaluate(RUNNING)}")
                continue
            if path in BUSIEST and path in _covered_by(persona):
                name = f"a11y-{BUSIEST[path]}-{width}-{language}.png"
                page.screenshot(path=str(screenshot_dir / name), full_page=True)
            for v in _violations(page):
                found.append(
                    f"{v['id']} ({v['impact']}: {v['help']}) on {url} as {persona}, {width}, "
                    f"{language}: {', '.join(v['targets'][:5])} ({v['why']})"
                )
    finally:
        context.close()
    problems = (
        [f"serious or critical accessibility violation: {v}" for v in found]
        + [
            f"did not open as the access matrix says (a route that is no HTML page goes in NOT_PAGES): {w}"
            for w in wrong
        ]
        + [f"did not settle (htmx classes or animations still there): {u}" for u in unsettled]
    )
    assert not problems, "\n".join(problems)
