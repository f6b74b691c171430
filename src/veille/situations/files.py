"""Attachments of reports: photos and PDFs, checked from their content, kept outside the
database (``Settings.files_dir``), served only through the report's visibility.

Photos are re-encoded without their metadata: a phone's picture carries the place it was
taken and the device, personal data that the report does not need (DESIGN.md §4 rule 7).
"""

from __future__ import annotations

import io
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import event, func
from sqlmodel import Session, select

from veille.audit import service as audit
from veille.config import Settings
from veille.errors import InvalidInput, NotFound
from veille.i18n import N_
from veille.situations.models import Attachment

if TYPE_CHECKING:
    from veille.situations.service import SituationAccess

IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "WEBP": ("image/webp", ".webp"),
}
PDF_TYPE = "application/pdf"
MAX_PER_REPORT = 10
BAD_TYPE = N_("Only photos (JPEG, PNG, WebP) and PDF documents can be attached.")


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def _safe_name(filename: str, extension: str) -> str:
    stem = Path(filename.replace("\\", "/")).name.rsplit(".", 1)[0]
    stem = re.sub(r"[^\w\- ]+", "", stem).strip()[:80] or "piece-jointe"
    return stem + extension


def _checked(upload: Upload, settings: Settings) -> tuple[bytes, str, str]:
    """The bytes to keep, their type and a clean file name; refuses anything else."""
    if not upload.data:
        raise InvalidInput({"file": N_("Choose a file.")})
    if len(upload.data) > settings.attachment_max_mb * 1024 * 1024:
        raise InvalidInput({"file": N_("This file is too large.")})
    if upload.data.startswith(b"%PDF-"):
        if b"%%EOF" not in upload.data[-2048:]:
            raise InvalidInput({"file": BAD_TYPE})
        return upload.data, PDF_TYPE, _safe_name(upload.filename, ".pdf")
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(upload.data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(upload.data)) as image:
            found = image.format or ""
            if found not in IMAGE_FORMATS:
                raise InvalidInput({"file": BAD_TYPE})
            clean = ImageOps.exif_transpose(image)
            out = io.BytesIO()
            if found == "JPEG" and clean.mode not in ("RGB", "L"):
                clean = clean.convert("RGB")
            clean.save(out, format=found)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput({"file": BAD_TYPE}) from exc
    content_type, extension = IMAGE_FORMATS[found]
    return out.getvalue(), content_type, _safe_name(upload.filename, extension)


def path_of(settings: Settings, attachment: Attachment) -> Path:
    return settings.files_dir / attachment.key


def add(session: Session, *, access: SituationAccess, upload: Upload, settings: Settings) -> Attachment:
    """Writes the file, then its row; the file goes away again if the transaction does not
    commit."""
    access.require_update()
    count = session.exec(select(func.count()).where(Attachment.situation_id == access.situation.id)).one()
    if count >= MAX_PER_REPORT:
        raise InvalidInput({"file": N_("A report holds at most 10 attachments.")})
    data, content_type, filename = _checked(upload, settings)
    attachment = Attachment(
        situation_id=access.situation.id or 0,
        key=uuid.uuid4().hex,
        filename=filename,
        content_type=content_type,
        size=len(data),
        created_by=access.viewer.user.id,
    )
    path = path_of(settings, attachment)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    event.listen(session, "after_soft_rollback", lambda *_: path.unlink(missing_ok=True), once=True)
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
    return attachment


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
