"""Where templates, static files and migrations are: beside the package when installed from a
wheel, at the top of the repository in a checkout."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent.parent


def resource(name: str) -> Path:
    packaged = PACKAGE_DIR / name
    return packaged if packaged.exists() else REPO_DIR / name


TEMPLATES = resource("templates")
STATIC = resource("static")
MIGRATIONS = resource("migrations")
LOCALES = PACKAGE_DIR / "locales"
