"""Every page form of the route table (each POST route outside /api/v1), its fields filled with
hostile values one at a time, as a logged-in admin and a partner with a valid CSRF token: no
answer is a 5xx, and a refused post (4xx) writes nothing (the row count of every table is the
same after it). Then every page address with hostile values in its path: a 404 page.

The forms, their valid values and the records they act on come from the access matrix
(tests/test_access_matrix.py); the fields are those values' names and the fields of the page that
shows the form.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel

from tests.factories import Factory, World
from tests.fuzz.conftest import role_user
from tests.test_access_matrix import MATRIX, _fill, _url, route_table
from veille.app import API_PREFIX
from veille.meetings import calendar

ROLES = ("admin", "partner")
# One value of each kind a field may be given; each is sent in each field in turn.
PAYLOADS: dict[str, str] = {
    "huge": "9" * 40,
    "beyond_integer": str(2**31),
    "beyond_bigint": str(2**63),
    "negative": "-1",
    "unicode_digits": "²߁",
    "nul": "a\x00b",
    "long": "x" * 60_000,
    "year_1": "0001-01-01",
    "year_9999": "9999-12-31",
    "not_latin": "Γειά 🙂",
    "empty": "",
}
MISSING = "missing"
ALONE = 2
PAGE_FORMS = sorted((m, p) for (m, p) in route_table() if m == "POST" and not p.startswith(API_PREFIX))
FIELD = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')
SKIPPED_FIELDS = {"csrf_token"}
# Forms that answer alike whoever posts them (and cost a password hash each): one role.
ONE_ROLE = {("POST", "/login"): ("partner",)}
# What a refused post writes by design: a failed login is recorded (throttling, audit).
WRITTEN_WHEN_REFUSED = {
    ("POST", "/login"): {"login_attempt", "audit_event"},
    # "Mon compte" shown again with its errors gives the person their calendar address the first
    # time it is shown (one calendar_feed row, audited): the refused change itself writes nothing.
    ("POST", "/account/profile"): {"calendar_feed", "audit_event"},
    ("POST", "/account/password"): {"calendar_feed", "audit_event", "login_attempt"},
    ("POST", "/account/mail"): {"calendar_feed", "audit_event"},
}


def test_every_page_form_is_fuzzed() -> None:
    assert len(PAGE_FORMS) >= 70
    assert all(key in MATRIX for key in PAGE_FORMS)


def row_counts(engine: Engine, but: set[str] | frozenset[str] = frozenset()) -> dict[str, int]:
    """The number of rows of every table (but those named), in one statement."""
    tables = [t for t in SQLModel.metadata.sorted_tables if t.name not in but]
    counts = [select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables]
    with engine.connect() as connection:
        row = connection.execute(select(*counts)).one()
    return dict(row._mapping)


def _fields(client: Any, url: str, data: dict[str, Any]) -> list[str]:
    """The form's fields: those of its valid values, then those of the page at the same address
    (the new and edit forms)."""
    names = [k for k in data if k not in SKIPPED_FIELDS]
    page = client.get(url)
    if page.status_code == 200 and "text/html" in page.headers.get("content-type", ""):
        names += [n for n in FIELD.findall(page.text) if n not in SKIPPED_FIELDS and n not in names]
    return names


def _params(method: str, path: str, world: World, settings: Any) -> dict[str, str]:
    params = dict(MATRIX[(method, path)].params)
    if "{signature}" in path and world.meeting is not None:
        # The partner's own answer link, so that the form is read.
        params["invitee_id"] = str(world.member.id)
        params["signature"] = calendar.answer_signature(
            settings.signing_key, world.meeting, world.member.id or 0
        )
    return params


def _variants(
    fields: list[str], data: dict[str, Any], *, one_by_one: bool = True
) -> list[tuple[str, str, dict[str, Any]]]:
    """The posts of one form: nothing at all; each payload in every field at once; then, field
    by field, the field missing and the field alone given ``ALONE`` payloads (in turn, so that
    the fields of a form share out all of them), the others keeping their valid values."""
    variants: list[tuple[str, str, dict[str, Any]]] = [("(all)", MISSING, {})]
    for label, value in PAYLOADS.items():
        variants.append(("(all)", label, data | dict.fromkeys(fields, value)))
    labels = list(PAYLOADS)
    for i, name in enumerate(fields if one_by_one else []):
        variants.append((name, MISSING, {k: v for k, v in data.items() if k != name}))
        for k in range(ALONE):
            label = labels[(i * ALONE + k) % len(labels)]
            variants.append((name, label, data | {name: PAYLOADS[label]}))
    return variants


@pytest.mark.parametrize(("method", "path"), [pytest.param(m, p, id=f"{m} {p}") for m, p in PAGE_FORMS])
def test_form(
    method: str,
    path: str,
    world: World,
    factory: Factory,
    client_for: Any,
    engine: Engine,
    settings: Any,
    fuzz_log: Any,
) -> None:
    case = MATRIX[(method, path)]
    if case.setup:
        case.setup(factory, world)
    url = _url(path, world, _params(method, path, world, settings))
    data = _fill(case.data, world) or {}
    but = WRITTEN_WHEN_REFUSED.get((method, path), set())
    for role in ONE_ROLE.get((method, path), ROLES):
        client = client_for(role_user(world, role))
        fields = _fields(client, url, data)
        # Field by field only where the role may use the form (the access matrix's verdict for
        # the partner, "member" there): elsewhere its answer is a refusal whatever the fields.
        refused = role == "partner" and case.expect["member"] in (403, 404)
        variants = _variants(fields, data, one_by_one=not refused)
        fuzz_log("form", form=f"{method} {path}", role=role, fields=len(fields), posts=len(variants))
        counts = row_counts(engine, but)
        for field, label, values in variants:
            response = client.form(url, values)
            status = response.status_code
            where = f"{path} as {role}, {field} = {label}: {status}"
            assert status < 500, where
            after = row_counts(engine, but)
            if status >= 400:
                changed = [k for k in after if after[k] != counts[k]]
                assert after == counts, f"refused but written: {where} {changed}"
            counts = after


PATH_VALUES = {
    "huge": "9" * 40,
    "beyond_integer": str(2**31),
    "zero": "0",
    "unicode_digits": "²",
    "nko_digit": "߁",
    "nul": "%00",
    "not_latin": "%CE%93",
}
PAGE_ROUTES = sorted(
    (m, p) for (m, p) in route_table() if "{" in p and not p.startswith(API_PREFIX) and "{path" not in p
)
# The page addresses with a variable part, by their first segment (one test each).
SECTIONS = sorted({p.split("/")[1] for _m, p in PAGE_ROUTES})


@pytest.mark.parametrize("engine_name", ["sqlite"])
@pytest.mark.parametrize("section", SECTIONS)
def test_page_path(section: str, world: World, client_for: Any, engine: Engine) -> None:
    """Any value in an id's place of a page address is a page that does not exist (404). The
    values are refused before any query (the ``Id`` type, the text check), so this runs on
    SQLite only."""
    client = client_for(world.admin)
    for method, path in PAGE_ROUTES:
        if path.split("/")[1] != section:
            continue
        for name in re.findall(r"{(\w+)}", path):
            for label, value in PATH_VALUES.items():
                url = re.sub(r"{\w+}", "1", path.replace(f"{{{name}}}", value))
                before = row_counts(engine) if method == "POST" else None
                response = client.form(url) if method == "POST" else client.get(url)
                where = f"{method} {url} ({name} = {label}): {response.status_code}"
                assert response.status_code < 500, where
                if name.endswith("_id") or name == "token":
                    # A NUL is refused as text that cannot be stored, whatever field it is in.
                    assert response.status_code == (422 if label == "nul" else 404), where
                if before is not None and response.status_code >= 400:
                    assert row_counts(engine) == before, f"refused but written: {where}"
