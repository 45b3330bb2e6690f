"""Sealing: the committed, unsealed entries get their place in the chain, in id order, under
one sealer at a time. Runs off the request path (beat every few seconds, `manage.py
seal_audit_trail`, the verifier); writers never wait for it.

Soundness (docs/audits.md): one run is one transaction holding the sealer lock, so a crash
seals nothing or a whole batch; seals are only inserted (the trigger refuses the rest) and
`seq` is unique, so two sealers can never both extend one head; an entry whose transaction
commits late is simply sealed by a later run (the chain's order is the seal order).
"""

import logging
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from .chain import GENESIS, entry_hash
from .models import AuditEntry, AuditSeal

logger = logging.getLogger(__name__)

BATCH = 1000
# A periodic run looks only at entries above a horizon: the newest entry sealed longer ago than
# this. An entry whose transaction stays open longer than GRACE after writing it could be left
# below the horizon; a full run (the verifier, `seal_audit_trail --all`) seals it then.
GRACE = timedelta(hours=1)
MAX_PER_RUN = 50 * BATCH
LOCK_KEY = 0x41554454  # "AUDT": the PostgreSQL advisory lock of the one sealer


def lock() -> None:
    # PostgreSQL: one sealer at a time, released at commit. SQLite: every write transaction is
    # BEGIN IMMEDIATE (settings), so writers are serialised already.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def head() -> tuple[int, str]:
    """The chain's last sequence number and hash (0 and the genesis hash when empty)."""
    return AuditSeal.objects.order_by("-seq").values_list("seq", "hash").first() or (0, GENESIS)


def _horizon() -> int:
    cutoff = timezone.now() - GRACE
    return (AuditSeal.objects.filter(sealed_at__lt=cutoff).order_by("-sealed_at", "-seq")
            .values_list("entry_id", flat=True).first() or 0)


@transaction.atomic
def seal(*, full: bool = False, batch: int = BATCH) -> int:
    """Seal the committed unsealed entries (all of them when `full`, else those above the
    horizon, at most MAX_PER_RUN); returns how many were sealed."""
    lock()
    seq, prev = head()
    horizon = 0 if full else _horizon()
    sealed = 0
    while full or sealed < MAX_PER_RUN:
        # Read back from the database: what is hashed is what the verifier will read.
        entries = list(AuditEntry.objects.filter(id__gt=horizon, seal__isnull=True).order_by("id")[:batch])
        if not entries:
            break
        now = timezone.now()
        seals = []
        for entry in entries:
            seq += 1
            digest = entry_hash(entry, seq, prev)
            seals.append(AuditSeal(entry_id=entry.pk, seq=seq, prev_hash=prev, hash=digest, sealed_at=now))
            prev = digest
        AuditSeal.objects.bulk_create(seals)
        sealed += len(seals)
        horizon = entries[-1].pk
        if len(entries) < batch:
            break
    if sealed:
        logger.info("audit trail: sealed %d entries, head #%d %s", sealed, seq, prev)
    return sealed
