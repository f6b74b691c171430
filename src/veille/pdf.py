"""Documents as PDF (minutes, convocations, reports): an HTML template printed by WeasyPrint.

A PDF answered to a request carries a validator made from its HTML, which decides every byte
of it: rendering the template costs milliseconds, printing it hundreds, so a second download of
an unchanged document answers 304 without printing (``exports.validated``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from veille.exports import validated
from veille.paths import STATIC
from veille.web import PDF, download, render_text


def _weasyprint() -> Any:
    """WeasyPrint's ``HTML``, imported here: it takes most of a second to load and only the PDF
    routes need it. A served process loads it at start (``preload``); commands and tests when
    they first print."""
    from PIL import ImageFile
    from weasyprint import HTML

    # WeasyPrint lets Pillow load truncated images, for the whole process, when it is imported;
    # uploads must not inherit that (our documents embed no uploaded image).
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return HTML


def preload() -> None:
    """Loads WeasyPrint now, so that no one's first PDF waits for it (0.7 s more)."""
    _weasyprint()


def _print(html: str) -> bytes:
    return _weasyprint()(string=html, base_url=str(STATIC)).write_pdf()  # type: ignore[no-any-return]


def render_pdf(template: str, context: dict[str, Any], language: str) -> bytes:
    return _print(render_text(template, context, language))


def pdf_download(
    request: Request, template: str, context: dict[str, Any], language: str, filename: str
) -> Response:
    """The document to save, with its validator; 304 when the reader holds it already."""
    html = render_text(template, context, language)
    return validated(request, (html, language), lambda: download(_print(html), PDF, filename))
