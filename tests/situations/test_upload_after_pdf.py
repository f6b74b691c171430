"""A PDF rendered in a process must not relax what uploads accept: WeasyPrint, when imported,
lets Pillow load truncated images for the whole process."""

from __future__ import annotations

from PIL import ImageFile

from veille.pdf import render_pdf


def test_rendering_a_pdf_leaves_truncated_images_refused() -> None:
    render_pdf("error.html", {"title": "Compte rendu", "message": "", "status": 200}, "fr")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
