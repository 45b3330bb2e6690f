"""Retention: sealed entries older than AUDIT_RETENTION_DAYS written to a JSON-lines file with
their seals, so they can be kept elsewhere. The rows stay in the database (the triggers refuse
a DELETE): an archive is a copy that still verifies on its own (each line carries its seq,
prev_hash and hash), and making it is itself an entry of the trail."""

import json
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from itsm.audit_sources import AuditFact

from .chain import content
from .models import AuditSeal
from .writer import write

CHUNK = 2000


def archive_to(stream, *, days: int | None = None) -> dict:
    """Write every sealed entry that occurred before the retention cut-off, in chain order, one
    JSON object per line; returns what was written (first and last seq, count, cut-off)."""
    days = settings.AUDIT_RETENTION_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=days)
    seals = (AuditSeal.objects.filter(entry__occurred_at__lt=cutoff).select_related("entry")
             .order_by("seq"))
    first = last = None
    count = 0
    for seal in seals.iterator(chunk_size=CHUNK):
        line = {"entry": content(seal.entry, seal.seq), "prev_hash": seal.prev_hash, "hash": seal.hash}
        stream.write(json.dumps(line, sort_keys=True, ensure_ascii=False) + "\n")
        first = seal.seq if first is None else first
        last, count = seal.seq, count + 1
    summary = {"cutoff": cutoff.isoformat(), "count": count, "first_seq": first, "last_seq": last}
    write(AuditFact("trail_archived", label=f"{count}", changes=summary))
    return summary
