"""Uploads cannot exhaust the server (issue 13): an image's size is read from its header and
refused before any pixel is decoded, Pillow's own decompression-bomb check never answers 500,
and an 11th file is refused before any file is read. Each refusal is explained in French on
the form, writes no file and no row."""

from __future__ import annotations

import io
import struct
import tempfile
import zlib
from datetime import date, timedelta
from functools import cache
from typing import Any

import pytest
from PIL import Image, ImageFile
from sqlmodel import Session, func, select

from tests.factories import Factory, World
from veille.config import Settings
from veille.situations import files
from veille.situations.models import Attachment, Situation

TOO_BIG = "Cette image est trop grande"
TOO_MANY = "Un signalement compte au plus 10 pièces jointes."
BAD_TYPE = "Seules des photos (JPEG, PNG, WebP) et des documents PDF peuvent être joints."


def _form(world: World) -> dict[str, Any]:
    return {
        "body_id": str(world.body.id),
        "title": "Tags sur la façade de l’école Jules-Ferry",
        "description": "Des inscriptions nouvelles chaque matin.",
        "category": "urban_rodeo",
        "sector_id": str(world.sector.id),
        "place": "École Jules-Ferry",
        "occurred_on": (date.today() - timedelta(days=1)).isoformat(),
        "occurred_time": "08:00",
        "severity": "2",
        "confidentiality": "body",
    }


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@cache
def blank_png(width: int, height: int, *, text: bytes = b"") -> bytes:
    """A valid black-and-white PNG of that size, all black: a few hundred kilobytes at most
    (20,000 × 20,000 is 48 KB), built in a fraction of a second. ``text``: a zTXt chunk
    holding that, compressed, before the pixels."""
    row = (width + 7) // 8 + 1  # the filter byte, then one bit a pixel
    raw, compressor = row * height, zlib.compressobj(1)
    block = bytes(1 << 24)
    pixels = [compressor.compress(block) for _ in range(raw >> 24)]
    pixels += [compressor.compress(bytes(raw & ((1 << 24) - 1))), compressor.flush()]
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    chunks = [_chunk(b"IHDR", header)]
    if text:
        chunks.append(_chunk(b"zTXt", b"Comment\0\0" + zlib.compress(text, 9)))
    chunks += [_chunk(b"IDAT", b"".join(pixels)), _chunk(b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


@cache
def phone_photo() -> bytes:
    """A JPEG the size of a 12-megapixel phone's photo (4032 × 3024), with its EXIF."""
    out = io.BytesIO()
    image = Image.new("RGB", (4032, 3024), (90, 140, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    image.save(out, format="JPEG", quality=85, exif=exif)
    return out.getvalue()


def small_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The sizes of the images whose pixels Pillow decodes during the test."""
    sizes: list[tuple[int, int]] = []
    load = ImageFile.ImageFile.load

    def spy(self: ImageFile.ImageFile) -> Any:
        sizes.append(self.size)
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return sizes


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The reads of uploaded files' contents: Starlette keeps each uploaded part in a
    ``SpooledTemporaryFile``, which its parser writes and never reads."""
    calls: list[int] = []
    read = tempfile.SpooledTemporaryFile.read

    def spy(self: Any, *args: Any) -> Any:
        calls.append(1)
        return read(self, *args)

    monkeypatch.setattr(tempfile.SpooledTemporaryFile, "read", spy)
    return calls


def _nothing_written(session: Session, settings: Settings, situations: int = 0) -> None:
    session.rollback()
    session.expire_all()
    assert session.exec(select(func.count()).select_from(Attachment)).one() == 0
    assert session.exec(select(func.count()).select_from(Situation)).one() == situations
    kept = [p for p in settings.files_dir.rglob("*") if p.is_file()] if settings.files_dir.exists() else []
    assert kept == []


HUGE = [
    pytest.param((20_000, 20_000), id="20000x20000"),  # beyond Pillow's own bomb limit
    pytest.param((13_000, 13_000), id="13000x13000"),  # decoded before: 11.6 s, 1.2 GB
    pytest.param((10_001, 600), id="one-side-too-long"),
    pytest.param((9_000, 8_000), id="72-megapixels"),  # each side allowed, not the count
]


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")  # as a strict server would
@pytest.mark.parametrize("size", HUGE)
def test_a_huge_image_is_refused_before_decoding_when_posting(
    size: tuple[int, int],
    client_for: Any,
    world: World,
    session: Session,
    settings: Settings,
    decoded: list[tuple[int, int]],
) -> None:
    client = client_for(world.member)
    data = blank_png(*size)
    assert len(data) < 500 * 1024
    response = client.form(
        "/situations/new", _form(world), files=[("files", ("plan.png", data, "image/png"))]
    )
    assert response.status_code == 422, response.text[:500]
    assert TOO_BIG in response.text
    assert "Tags sur la façade" in response.text  # the form again, with what was typed
    assert decoded == []
    _nothing_written(session, settings)


@pytest.mark.parametrize("size", HUGE[:2])
def test_a_huge_image_is_refused_before_decoding_when_attached(
    size: tuple[int, int],
    client_for: Any,
    world: World,
    factory: Factory,
    session: Session,
    settings: Settings,
    decoded: list[tuple[int, int]],
) -> None:
    situation = factory.situation(world.body, world.member)
    client = client_for(world.member)
    files_ = [
        ("files", ("ok.jpg", small_jpeg(), "image/jpeg")),
        ("files", ("plan.png", blank_png(*size), "image/png")),
    ]
    response = client.form(f"/situations/{situation.id}/attachments", files=files_)
    assert response.status_code == 422, response.text[:500]
    assert TOO_BIG in response.text and 'id="field-file-error"' in response.text
    assert (20_000, 20_000) not in decoded and (13_000, 13_000) not in decoded
    _nothing_written(session, settings, situations=1)


def test_a_phone_photo_is_kept(client_for: Any, world: World, session: Session, settings: Settings) -> None:
    client = client_for(world.member)
    response = client.form(
        "/situations/new", _form(world), files=[("files", ("IMG_2041.jpg", phone_photo(), "image/jpeg"))]
    )
    assert response.status_code == 303, response.text[:500]
    [attachment] = session.exec(select(Attachment)).all()
    with Image.open(settings.files_dir / attachment.key) as image:
        assert image.format == "JPEG" and image.size == (4032, 3024)
        assert 0x010F not in image.getexif()


def test_a_get_of_a_files_delete_address_leads_to_its_report_not_to_the_file(
    client_for: Any, world: World, session: Session
) -> None:
    """A reload after a refused delete: the report's page, not the file's download."""
    client = client_for(world.member)
    sent = client.form(
        "/situations/new", _form(world), files=[("files", ("IMG.jpg", phone_photo(), "image/jpeg"))]
    )
    assert sent.status_code == 303, sent.text[:500]
    [attachment] = session.exec(select(Attachment)).all()
    address = f"/situations/{attachment.situation_id}/attachments/{attachment.id}"
    again = client.get(f"{address}/delete", follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, f"/situations/{attachment.situation_id}")
    assert client.get(address).headers["content-type"] == "image/jpeg"  # the file, at its own address
    assert client.head(address).status_code == 405  # the file's own address: not sent elsewhere


def test_an_animated_png_keeps_its_first_frame(
    client_for: Any, world: World, session: Session, settings: Settings
) -> None:
    out = io.BytesIO()
    frames = [Image.new("RGB", (64, 48), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    frames[0].save(out, format="PNG", save_all=True, append_images=frames[1:])
    with Image.open(io.BytesIO(out.getvalue())) as sent:
        assert getattr(sent, "n_frames", 1) == 3
    client = client_for(world.member)
    response = client.form(
        "/situations/new", _form(world), files=[("files", ("anim.png", out.getvalue(), "image/png"))]
    )
    assert response.status_code == 303, response.text[:500]
    [attachment] = session.exec(select(Attachment)).all()
    with Image.open(settings.files_dir / attachment.key) as image:
        assert getattr(image, "n_frames", 1) == 1 and image.convert("RGB").getpixel((0, 0)) == (255, 0, 0)


def test_a_png_text_bomb_is_refused(
    client_for: Any, world: World, session: Session, settings: Settings, decoded: list[tuple[int, int]]
) -> None:
    """A compressed text chunk that inflates past Pillow's limit (1 MB a chunk) is refused:
    Pillow's limits stay on, and truncated images are not loaded."""
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    client = client_for(world.member)
    data = blank_png(64, 64, text=bytes(16 * 1024 * 1024))
    assert len(data) < 64 * 1024
    response = client.form(
        "/situations/new", _form(world), files=[("files", ("text.png", data, "image/png"))]
    )
    assert response.status_code == 422, response.text[:500]
    assert BAD_TYPE in response.text
    assert decoded == []
    _nothing_written(session, settings)


def test_an_eleventh_file_is_refused_before_any_is_read(
    client_for: Any, world: World, factory: Factory, session: Session, settings: Settings, reads: list[int]
) -> None:
    situation = factory.situation(world.body, world.member)
    client = client_for(world.member)
    eleven = [("files", (f"photo-{i}.jpg", small_jpeg(), "image/jpeg")) for i in range(11)]
    posted = client.form("/situations/new", _form(world), files=eleven)
    assert posted.status_code == 422, posted.text[:500]
    assert TOO_MANY in posted.text and "Tags sur la façade" in posted.text
    attached = client.form(f"/situations/{situation.id}/attachments", files=eleven)
    assert attached.status_code == 422, attached.text[:500]
    assert TOO_MANY in attached.text
    assert reads == []
    _nothing_written(session, settings, situations=1)
    # Ten are read and kept.
    assert client.form(f"/situations/{situation.id}/attachments", files=eleven[:10]).status_code == 303
    assert len(reads) >= 10
    session.rollback()
    assert len(session.exec(select(Attachment)).all()) == files.MAX_PER_REPORT


def test_files_chosen_with_a_form_refused_for_another_field_are_asked_again(
    client_for: Any, world: World, session: Session, settings: Settings
) -> None:
    """A browser never fills a file field again: the form refused for its title says the photo
    is to be chosen again, where it came back without it and without a word (walkthrough)."""
    client = client_for(world.member)
    photo = [("files", ("hall.jpg", small_jpeg(), "image/jpeg"))]
    posted = client.form("/situations/new", _form(world) | {"title": ""}, files=photo)
    assert posted.status_code == 422
    again = "Vos fichiers n’ont pas été gardés avec le formulaire refusé\u00a0: choisissez-les à nouveau."
    assert again in posted.text
    _nothing_written(session, settings, situations=0)
    alone = client.form("/situations/new", _form(world) | {"title": ""})
    assert alone.status_code == 422 and "choisissez-les à nouveau" not in alone.text
