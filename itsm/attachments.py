"""Attachments of any record: checked on the way in, served only through a gate.

The caller (a record app's service) has already decided that the actor may see and change
the record; this module checks the file itself and keeps the journal.
"""

import hashlib
import mimetypes
from pathlib import PurePath

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .choices import JournalKind
from .events import emit
from .journal import journal_add
from .models import Attachment


def attachments_of(record):
    return Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk
    ).select_related("uploaded_by")


def _check_upload(upload) -> str:
    """The clean file name, or a ValidationError saying what is wrong with the file."""
    name = PurePath(str(upload.name or "")).name.strip()[:200]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if not name:
        raise ValidationError({"file": _("The file has no name.")})
    if extension not in settings.ATTACHMENT_ALLOWED_EXTENSIONS:
        raise ValidationError({"file": _("Files of type “.%(ext)s” are not accepted. Accepted: %(allowed)s.") % {
            "ext": extension or "?", "allowed": ", ".join(settings.ATTACHMENT_ALLOWED_EXTENSIONS)}})
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError({"file": _("The file is %(size)s; the limit is %(limit)s.") % {
            "size": filesizeformat(upload.size), "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)}})
    if upload.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    return name


def attachment_add(*, record, actor, upload, is_public: bool = True) -> Attachment:
    """Store `upload` as an attachment of `record`. Side effects: journal entry, event
    `<model>.attachment_added`. Raises ValidationError for a refused file (nothing stored)."""
    name = _check_upload(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    mime_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk, filename=name,
        mime_type=mime_type, size=upload.size, sha256=digest.hexdigest(), uploaded_by=actor,
    )
    attachment.file.save(name, upload, save=False)
    try:
        with transaction.atomic():
            attachment.save()
            journal_add(record=record, actor=actor, kind=JournalKind.SYSTEM, is_public=is_public,
                        body=_("Attached %(name)s") % {"name": name},
                        data={"attachment": attachment.pk, "filename": name, "size": attachment.size})
            emit(f"{record._meta.model_name}.attachment_added", record=record, actor=actor,
                 payload={"attachment": attachment.pk})
    except Exception:
        attachment.file.delete(save=False)  # no orphan file when the rows were not written
        raise
    return attachment


def attachment_response(attachment: Attachment) -> FileResponse:
    """The file as a download (never rendered inline, so an uploaded page cannot run)."""
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename,
                            content_type=attachment.mime_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
