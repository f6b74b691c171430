"""The audit's kinds of event and of record are one list (``audit/kinds.py``; the type check
refuses any other name to ``audit.record``): each is written by the code, offered by the admin's
search, and told in docs/api.md."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from veille.audit.kinds import ENTITIES, VERBS
from veille.labels import LABELS

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


# The calls that write an audit event, and the helpers that pass a kind on to them.
_WRITERS = {"record", "record_reads", "record_consultation", "_save", "_record", "_touch", "literal"}


def _written_kinds() -> set[str]:
    """The names the code hands to the audit: the strings given to a writer's call (as an
    argument, or either branch of a conditional one), or held by a name ``verb`` or ``entity``
    (``verb: Verb = "add_member"``), or by the strategy's ``_ENTITIES``."""
    found: set[str] = set()

    def strings(node: ast.AST | None) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.add(node.value)
        elif isinstance(node, ast.IfExp):
            strings(node.body)
            strings(node.orelse)

    for path in (ROOT / "src" / "veille").rglob("*.py"):
        if path.name == "kinds.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = (
                    node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                )
                if name in _WRITERS:
                    for value in [*node.args, *(k.value for k in node.keywords)]:
                        strings(value)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = {t.id for t in targets if isinstance(t, ast.Name)}
                if names & {"verb", "entity"}:
                    strings(node.value)
                if "_ENTITIES" in names and isinstance(node.value, ast.Dict):
                    for value in node.value.values:
                        strings(value)
    return found


def test_every_kind_is_written_somewhere() -> None:
    """No name is kept in the list once nothing records it."""
    written = _written_kinds()
    assert [kind for kind in (*VERBS, *ENTITIES) if kind not in written] == []


def test_the_admin_search_offers_every_kind_by_its_name(client_for, world) -> None:  # type: ignore[no-untyped-def]
    """By its name in the reader's language (the codes were shown raw), the code kept for the
    API and the export."""
    assert (set(LABELS["audit_verb"]), set(LABELS["audit_entity"])) == (set(VERBS), set(ENTITIES))
    page = client_for(world.admin).get("/admin/audit")
    assert page.status_code == 200
    verbs, entities = page.text.split('id="field-verb"', 1)[1].split('id="field-entity"', 1)
    verbs, entities = verbs.split("</select>", 1)[0], entities.split("</select>", 1)[0]
    assert [verb for verb in VERBS if f'<option value="{verb}">' not in verbs] == []
    assert [entity for entity in ENTITIES if f'<option value="{entity}">' not in entities] == []
    assert '<option value="read">Lecture</option>' in verbs
    assert '<option value="situation">Signalement</option>' in entities
