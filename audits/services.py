"""Writes of the trail's own: sealing, anchoring, verifying (entries are written by the
sources, audits.sources)."""

import json
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.audit_sources import AuditFact
from itsm.permissions import require

from . import sealing
from .models import AuditAnchor, AuditSeal, Verification
from .selectors import AUDIT_READERS
from .verify import Anchor, verify
from .writer import write

logger = logging.getLogger(__name__)


def trail_seal(*, full: bool = False) -> int:
    """Seal the committed entries (audits.sealing); a task and a command call it. Side effects:
    seal rows only."""
    return sealing.seal(full=full)


def anchor_record() -> AuditAnchor:
    """Seal, then record the chain's head as today's anchor and log it (one JSON line that an
    operator can ship elsewhere). Side effects: seals, an anchor row, a log line."""
    sealing.seal()
    with transaction.atomic():
        sealing.lock()  # the head read is the head anchored: no sealer in between
        seq, digest = sealing.head()
        anchor = AuditAnchor.objects.create(day=timezone.localdate(), seq=seq, hash=digest,
                                            count=AuditSeal.objects.filter(seq__lte=seq).count())
    logger.info("audit anchor %s", json.dumps(anchor.as_dict()))
    return anchor


def trail_verify(*, actor, anchors: list[Anchor] = ()) -> Verification:
    """Seal every committed entry, verify the chain against the database's anchors and
    `anchors` (from a file kept outside), keep the outcome and put the run on the trail. A read
    action: auditors may run it. Side effects: seals, a Verification row, a trail entry."""
    require(actor, AUDIT_READERS, reading=True)
    sealing.seal(full=True)
    outcome = verify(anchors)
    with transaction.atomic():
        result = Verification.objects.create(
            ran_by=actor if actor.is_active else None, ok=outcome.ok, checked=outcome.checked,
            anchors_checked=outcome.anchors_checked, broken_seq=outcome.broken_seq,
            broken_entry_id=outcome.broken_entry_id, problem=outcome.problem)
        write(AuditFact("trail_verified", actor=actor, label=_("Audit trail"), changes={
            "ok": outcome.ok, "checked": outcome.checked, "anchors": outcome.anchors_checked,
            "broken_seq": outcome.broken_seq, "problem": outcome.problem}))
    if not outcome.ok:
        logger.error("audit trail broken: %s", outcome.problem)
    return result


def read_anchors(lines, source: str) -> list[Anchor]:
    """Anchors from JSON lines as `manage.py audit_anchor` prints them; a bad line is a
    ValueError naming it."""
    anchors = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            anchors.append(Anchor(str(data["date"]), int(data["seq"]), str(data["hash"]), source))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(_("%(source)s, line %(line)s: not an anchor (%(error)s).")
                             % {"source": source, "line": number, "error": exc}) from exc
    return anchors
