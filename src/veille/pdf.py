"""Documents as PDF (minutes, convocations, reports): an HTML template printed by WeasyPrint."""

from __future__ import annotations

from typing import Any

from veille.paths import STATIC
from veille.web import render_text


def render_pdf(template: str, context: dict[str, Any], language: str) -> bytes:
    # Imported here: WeasyPrint is slow to load and only the PDF routes need it.
    from weasyprint import HTML

    html = render_text(template, context, language)
    return HTML(string=html, base_url=str(STATIC)).write_pdf()  # type: ignore[no-any-return]
