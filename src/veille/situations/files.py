"""Attachments of reports: photos and PDFs, checked from their content, kept outside the
database (``Settings.files_dir``), served only through the report's visibility.

Photos are re-encoded without their metadata: a phone's picture carries the place it was
taken and the device, personal data that the report does not need (docs/confidentiality.md, rule 7).
Their size is read from the file's header and refused beyond ``MAX_SIDE`` and ``MAX_PIXELS``
before any pixel is decoded (docs/security.md, "Uploads").

A new file is written before its change writes to the database (``kept``) and goes again if
that change is not committed; a deleted one goes once its deletion is committed.
"""

from __future__ import annotations

import io
import os
import re
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import event, func
from sqlmodel import Session, col, select

from veille.audit import service as audit
from veille.config import Settings
from veille.errors import InvalidInput, NotFound
from veille.i18n import N_
from veille.situations.models import Attachment
from veille.situations.visibility import SituationAccess

IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "WEBP": ("image/webp", ".webp"),
}
PDF_TYPE = "application/pdf"
MAX_PER_REPORT = 10
# A photo is decoded to be re-encoded; beyond these it is refused from its header, undecoded.
# Phones take 12 megapixels by default; a 64-megapixel camera's full size (9248 × 6936)
# passes, the 108- and 200-megapixel modes of a few phones do not. Decoded, the largest photo
# allowed takes 256 MiB (4 bytes a pixel at most). Pillow's own check
# (``Image.MAX_IMAGE_PIXELS``) is set to the same count: it warns above it and refuses above
# twice it, while opening the file; both are turned into the same refusal.
MAX_SIDE = 10_000
MAX_PIXELS = 64 * 1024 * 1024
# Photos decoded at once in one process: each may take up to 256 MiB (MAX_PIXELS × 4 bytes), so
# a burst of uploads queues here instead of exhausting the server's memory.
_DECODING = threading.BoundedSemaphore(2)
BAD_TYPE = N_("Only photos (JPEG, PNG, WebP) and PDF documents can be attached.")
TOO_MANY = N_("A report holds at most 10 attachments.")
TOO_BIG_IMAGE = N_(
    "This image is too large: at most 10,000 pixels a side and 64 megapixels. Reduce it and try again."
)


@dataclass(frozen=True)
class Upload:
    """A file sent: its name and its content, or the file that holds it (a form's upload),
    read only once the files are counted, and no further than the size limit allows."""

    filename: str
    content: bytes | BinaryIO

    def read(self, limit: int) -> bytes:
        """At most ``limit`` bytes of the content."""
        if isinstance(self.content, bytes):
            return self.content[:limit]
        self.content.seek(0)
        return self.content.read(limit)


def _safe_name(filename: str, extension: str) -> str:
    stem = Path(filename.replace("\\", "/")).name.rsplit(".", 1)[0]
    stem = re.sub(r"[^\w\- ]+", "", stem).strip()[:80] or "piece-jointe"
    return stem + extension


def _checked(upload: Upload, settings: Settings) -> tuple[bytes, str, str]:
    """The bytes to keep, their type and a clean file name; refuses anything else."""
    limit = settings.attachment_max_mb * 1024 * 1024
    data = upload.read(limit + 1)  # one byte more tells a file too large, unread beyond
    if not data:
        raise InvalidInput({"file": N_("Choose a file.")})
    if len(data) > limit:
        raise InvalidInput({"file": N_("This file is too large.")})
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise InvalidInput({"file": BAD_TYPE})
        return data, PDF_TYPE, _safe_name(upload.filename, ".pdf")
    found, clean = _photo(data)
    content_type, extension = IMAGE_FORMATS[found]
    return clean, content_type, _safe_name(upload.filename, extension)


def _photo(data: bytes) -> tuple[str, bytes]:
    """The photo's format and its pixels re-encoded without metadata (the first frame of an
    animated one). Its size is checked from its header first: nothing is decoded before.
    ``ImageFile.LOAD_TRUNCATED_IMAGES`` stays False, and Pillow's limit on the text a PNG may
    inflate (``PngImagePlugin.MAX_TEXT_CHUNK``) applies: a file beyond it is refused."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    formats = list(IMAGE_FORMATS)  # no other decoder runs
    try:
        with Image.open(io.BytesIO(data), formats=formats) as probe:
            width, height = probe.size
            if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
                raise InvalidInput({"file": TOO_BIG_IMAGE})
            probe.verify()
        with _DECODING, Image.open(io.BytesIO(data), formats=formats) as image:
            found = image.format or ""
            if found not in IMAGE_FORMATS:
                raise InvalidInput({"file": BAD_TYPE})
            clean = ImageOps.exif_transpose(image)
            out = io.BytesIO()
            if found == "JPEG" and clean.mode not in ("RGB", "L"):
                clean = clean.convert("RGB")
            clean.save(out, format=found)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidInput({"file": TOO_BIG_IMAGE}) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput({"file": BAD_TYPE}) from exc
    return found, out.getvalue()


def _path(settings: Settings, key: str) -> Path:
    return settings.files_dir / key


def path_of(settings: Settings, attachment: Attachment) -> Path:
    return _path(settings, attachment.key)


@dataclass(frozen=True)
class Stored:
    """A checked file written under its key, whose row is not recorded yet."""

    key: str
    filename: str
    content_type: str
    size: int


def store(uploads: Sequence[Upload], settings: Settings) -> list[Stored]:
    """Checks every file (one bad file refuses them all), then writes them.

    Called before the transaction writes anything: SQLite's write lock is not held while photos
    are re-encoded and written. The files are counted before any is read. The caller records
    them (``record``) or discards them (``kept``)."""
    if len(uploads) > MAX_PER_REPORT:
        raise InvalidInput({"file": TOO_MANY})
    checked = [_checked(upload, settings) for upload in uploads]
    stored: list[Stored] = []
    try:
        for data, content_type, filename in checked:
            item = Stored(key=uuid.uuid4().hex, filename=filename, content_type=content_type, size=len(data))
            path = _path(settings, item.key)
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".part")
            temporary.write_bytes(data)
            os.replace(temporary, path)
            stored.append(item)
    except BaseException:
        discard(stored, settings)
        raise
    return stored


def discard(stored: Iterable[Stored], settings: Settings) -> None:
    for item in stored:
        _path(settings, item.key).unlink(missing_ok=True)


@contextmanager
def kept(uploads: Sequence[Upload], settings: Settings) -> Iterator[list[Stored]]:
    """The files stored for the block, which records and commits them: any error in it (a
    refusal, a failed commit) removes them again, so a change that is not committed leaves no
    file behind."""
    stored = store(uploads, settings)
    try:
        yield stored
    except BaseException:
        discard(stored, settings)
        raise


def _require_room(session: Session, access: SituationAccess, more: int) -> None:
    count = session.exec(select(func.count()).where(Attachment.situation_id == access.situation.id)).one()
    if count + more > MAX_PER_REPORT:
        raise InvalidInput({"file": TOO_MANY})


def record(session: Session, *, access: SituationAccess, stored: Sequence[Stored]) -> list[Attachment]:
    """The rows of stored files, each audited, in the caller's transaction."""
    access.require_update()
    _require_room(session, access, len(stored))
    attachments = []
    for item in stored:
        attachment = Attachment(
            situation_id=access.situation.id or 0,
            key=item.key,
            filename=item.filename,
            content_type=item.content_type,
            size=item.size,
            created_by=access.viewer.user.id,
        )
        session.add(attachment)
        session.flush()
        audit.record(
            session,
            user_id=access.viewer.user.id,
            verb="attach",
            entity="situation",
            entity_id=access.situation.id,
            attachment_id=attachment.id,
        )
        attachments.append(attachment)
    return attachments


def attach(
    session: Session, *, access: SituationAccess, uploads: Sequence[Upload], settings: Settings
) -> list[Attachment]:
    """Attaches files to a report, and commits."""
    if not uploads:
        raise InvalidInput({"file": N_("Choose a file.")})
    access.require_update()
    _require_room(session, access, len(uploads))  # before the files are checked and written
    with kept(uploads, settings) as stored:
        attachments = record(session, access=access, stored=stored)
        session.commit()
    return attachments


def remove_after_commit(session: Session, settings: Settings, attachments: list[Attachment]) -> None:
    """Deletes the rows now and the files once the deletion is committed."""
    paths = [path_of(settings, a) for a in attachments]
    for attachment in attachments:
        session.delete(attachment)

    def unlink(*_: object) -> None:
        for path in paths:
            path.unlink(missing_ok=True)

    event.listen(session, "after_commit", unlink, once=True)


def of_report(access: SituationAccess, attachment: Attachment | None) -> Attachment:
    """The attachment, if it belongs to this report and the person reads the report whole."""
    if attachment is None or not access.full or attachment.situation_id != access.situation.id:
        raise NotFound()
    return attachment


def delete(session: Session, *, access: SituationAccess, attachment: Attachment, settings: Settings) -> None:
    """Removes an attachment, and commits (its file goes once committed)."""
    access.require_edit()
    remove_after_commit(session, settings, [attachment])
    audit.record(
        session,
        user_id=access.viewer.user.id,
        verb="detach",
        entity="situation",
        entity_id=access.situation.id,
        attachment_id=attachment.id,
    )
    session.commit()


def attachments_of(session: Session, situation_id: int) -> list[Attachment]:
    return list(
        session.exec(
            select(Attachment).where(Attachment.situation_id == situation_id).order_by(col(Attachment.id))
        ).all()
    )
