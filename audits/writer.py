"""Writing one entry: the fact, completed with who and where from the context."""

import json

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder

from itsm.audit_sources import AuditFact

from .context import Origin, current
from .models import AuditEntry

LABEL_LENGTH = 200


def plain(value):
    """`value` as JSON would give it back (dates, decimals and UUIDs as text): what is stored
    is what is hashed, on every database."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, default=str))


def label_of(obj) -> str:
    """A person's name for a record: its number when it has one (one attribute, no query)."""
    number = getattr(obj, "number", "")
    return str(number or obj)[:LABEL_LENGTH]


def write(fact: AuditFact, origin: Origin | None = None) -> AuditEntry:
    """Insert the entry in the caller's transaction: if it fails, the write it describes fails
    with it. No chain work here (audits.sealing does it later, off the request path)."""
    origin = origin or current()
    actor = fact.actor if fact.actor is not None else origin.user
    content_type_id, object_id, label = fact.content_type_id, fact.object_id, fact.label
    if fact.record is not None:
        content_type_id = ContentType.objects.get_for_model(fact.record).pk  # cached per process
        object_id = fact.record.pk if isinstance(fact.record.pk, int) else None
        label = label or label_of(fact.record)
    return AuditEntry.objects.create(
        action=fact.action[:40],
        user_id=getattr(actor, "pk", None),
        username=actor.get_username() if actor is not None else "",
        token_id=origin.token_id,
        task=origin.task,
        content_type_id=content_type_id,
        object_id=object_id,
        label=str(label)[:LABEL_LENGTH],
        changes=plain(fact.changes),
        address=origin.address,
        user_agent=origin.user_agent,
    )
