"""Documents as PDF (minutes, convocations, reports): an HTML template printed by WeasyPrint."""

from __future__ import annotations

from typing import Any

from veille.paths import STATIC
from veille.web import render_text


def render_pdf(template: str, context: dict[str, Any], language: str) -> bytes:
    # Imported here: WeasyPrint is slow to load and only the PDF routes need it.
    from PIL import ImageFile
    from weasyprint import HTML

    # WeasyPrint lets Pillow load truncated images, for the whole process, when it is imported;
    # uploads must not inherit that (our documents embed no uploaded image).
    ImageFile.LOAD_TRUNCATED_IMAGES = False

    html = render_text(template, context, language)
    return HTML(string=html, base_url=str(STATIC)).write_pdf()  # type: ignore[no-any-return]
