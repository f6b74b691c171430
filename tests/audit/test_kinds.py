"""The audit's kinds of event and of record are one list (``audit/kinds.py``; the type check
refuses any other name to ``audit.record``): each is written by the code, offered by the admin's
search, and told in docs/api.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from veille.audit.kinds import ENTITIES, VERBS

ROOT = Path(__file__).resolve().parents[2]


def _audit_section() -> str:
    """docs/api.md's "Audit" section, up to the next one."""
    return (
        (ROOT / "docs" / "api.md")
        .read_text(encoding="utf-8")
        .split("\n## Audit\n", 1)[1]
        .split("\n## ", 1)[0]
    )


@pytest.mark.parametrize("kinds", [VERBS, ENTITIES], ids=["verbs", "entities"])
def test_the_api_documentation_names_every_kind(kinds: tuple[str, ...]) -> None:
    section = _audit_section()
    assert [kind for kind in kinds if f"`{kind}`" not in section] == []


def test_every_kind_is_written_somewhere() -> None:
    """No name is kept in the list once nothing records it."""
    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (ROOT / "src" / "veille").rglob("*.py")
        if path.name != "kinds.py"
    )
    assert [kind for kind in (*VERBS, *ENTITIES) if f'"{kind}"' not in sources] == []


def test_the_admin_search_offers_every_kind(client_for, world) -> None:  # type: ignore[no-untyped-def]
    page = client_for(world.admin).get("/admin/audit")
    assert page.status_code == 200
    verbs, entities = page.text.split('id="audit-verbs"', 1)[1].split('id="audit-entities"', 1)
    assert [verb for verb in VERBS if f'<option value="{verb}">' not in verbs] == []
    assert [entity for entity in ENTITIES if f'<option value="{entity}">' not in entities] == []
