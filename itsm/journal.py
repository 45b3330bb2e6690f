"""Journal: one timeline per record, written by services and read through `journal_for`."""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .choices import JournalKind, Role
from .models import JournalEntry


def journal_add(*, record, actor, kind: str, body: str = "", is_public: bool = False,
                data: dict | None = None) -> JournalEntry:
    """Append an entry to `record`'s timeline. Call it inside the service's transaction."""
    # `record=` (not only its type and id) keeps the record on the entry: receivers of the save
    # (the audit trail) read its number without a query.
    return JournalEntry.objects.create(
        record=record,
        kind=kind,
        is_public=is_public,
        body=body,
        data=data or {},
        author=actor,
    )


def record_comment(*, record, actor, body: str, internal: bool) -> JournalEntry:
    """Add a customer-visible comment or an internal work note to a record the caller may
    see (the caller's access gate checked that). Side effects: event `<model>.commented`."""
    from .events import emit

    if not body.strip():
        raise ValidationError({"body": _("Write something first.")})
    kind = JournalKind.WORK_NOTE if internal else JournalKind.COMMENT
    with transaction.atomic():
        entry = journal_add(record=record, actor=actor, kind=kind, body=body.strip(), is_public=not internal)
        emit(f"{record._meta.model_name}.commented", record=record, actor=actor,
             payload={"entry": entry.pk, "internal": internal})
    return entry


def journal_for(record, user):
    """The timeline of `record` as `user` may see it: requesters see public entries only."""
    entries = JournalEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk
    ).select_related("author")
    if not user.has_role(*[r for r in Role if r != Role.REQUESTER]):
        entries = entries.filter(is_public=True)
    return entries
