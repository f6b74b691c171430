"""The shape the code keeps (issue 14): modules a newcomer can hold in their head, and an API
whose every operation says what it does. The import directions are checked by `make lint`
(import-linter, contracts in pyproject.toml)."""

from __future__ import annotations

from pathlib import Path

from veille.app import create_app
from veille.paths import PACKAGE_DIR as SOURCE

MAX_LINES = 600
# Demo data is a long list of French sample records, not logic.
EXEMPT = {"demo.py"}


def _modules() -> list[Path]:
    return sorted(p for p in SOURCE.rglob("*.py") if p.name not in EXEMPT)


def test_no_module_over_the_limit() -> None:
    long = {
        str(p.relative_to(SOURCE)): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_every_module_says_why_it_exists() -> None:
    missing = [
        str(p.relative_to(SOURCE))
        for p in _modules()
        if p.stat().st_size and not p.read_text(encoding="utf-8").lstrip().startswith('"""')
    ]
    assert missing == []


def test_every_api_operation_is_described(settings) -> None:  # type: ignore[no-untyped-def]
    schema = create_app(settings).openapi()
    undescribed = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if not operation.get("description")
    ]
    assert undescribed == []
