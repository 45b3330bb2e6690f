"""The verifier: recompute the chain from the genesis, compare it with every anchor, and say
where it first breaks."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .chain import GENESIS, entry_hash
from .models import AuditAnchor, AuditEntry, AuditSeal

CHUNK = 2000


@dataclass(frozen=True)
class Anchor:
    day: str
    seq: int
    hash: str
    source: str  # "database" or the file it came from


@dataclass
class Outcome:
    ok: bool = True
    checked: int = 0
    anchors_checked: int = 0
    broken_seq: int | None = None
    broken_entry_id: int | None = None
    problem: str = ""


class Broken(Exception):
    def __init__(self, seq, entry_id, problem):
        super().__init__(problem)
        self.seq, self.entry_id, self.problem = seq, entry_id, problem


def database_anchors() -> list[Anchor]:
    return [Anchor(a.day.isoformat(), a.seq, a.hash, "database") for a in AuditAnchor.objects.order_by("id")]


def verify(extra_anchors: Iterable[Anchor] = ()) -> Outcome:
    """Check every seal in sequence order against its entry and its predecessor, and each
    anchor against the seal it names. Reads in chunks: memory stays flat."""
    anchors = [*database_anchors(), *extra_anchors]
    by_seq = defaultdict(list)
    for anchor in anchors:
        by_seq[anchor.seq].append(anchor)
    outcome = Outcome(anchors_checked=len(anchors))
    try:
        _check_anchor_at(0, GENESIS, None, by_seq)
        last = _walk(by_seq, outcome)
        _check_anchors_beyond(last, anchors)
    except Broken as broken:
        outcome.ok = False
        outcome.broken_seq, outcome.broken_entry_id, outcome.problem = broken.seq, broken.entry_id, broken.problem
    return outcome


def _walk(by_seq, outcome: Outcome) -> int:
    prev, expected = GENESIS, 1
    while True:
        seals = list(AuditSeal.objects.filter(seq__gte=expected).order_by("seq")[:CHUNK])
        if not seals:
            return expected - 1
        entries = AuditEntry.objects.in_bulk([s.entry_id for s in seals])
        for seal in seals:
            _check(seal, expected, prev, entries.get(seal.entry_id))
            _check_anchor_at(seal.seq, seal.hash, seal.entry_id, by_seq)
            prev, expected = seal.hash, expected + 1
            outcome.checked += 1


def _check(seal, expected: int, prev: str, entry) -> None:
    if seal.seq != expected:
        raise Broken(expected, None, _("Entry #%(seq)s of the chain is missing: it was removed.") % {"seq": expected})
    if seal.prev_hash != prev:
        raise Broken(seal.seq, seal.entry_id, _(
            "Entry #%(seq)s does not follow the entry before it: entries were removed or reordered.")
            % {"seq": seal.seq})
    if entry is None:
        raise Broken(seal.seq, seal.entry_id, _(
            "Entry #%(seq)s (id %(id)s) was removed.") % {"seq": seal.seq, "id": seal.entry_id})
    if entry_hash(entry, seal.seq, prev) != seal.hash:
        raise Broken(seal.seq, seal.entry_id, _(
            "Entry #%(seq)s (id %(id)s) was changed after it was sealed.") % {"seq": seal.seq, "id": seal.entry_id})


def _check_anchor_at(seq: int, digest: str, entry_id, by_seq) -> None:
    for anchor in by_seq.get(seq, ()):
        if anchor.hash != digest:
            raise Broken(seq, entry_id, _(
                "The chain differs from the anchor of %(day)s (%(source)s) at entry #%(seq)s: it was "
                "rewritten at or before this entry.") % {"day": anchor.day, "source": anchor.source, "seq": seq})


def _check_anchors_beyond(last: int, anchors) -> None:
    beyond = [anchor for anchor in anchors if anchor.seq > last]
    if beyond:
        anchor = min(beyond, key=lambda a: a.seq)
        raise Broken(last + 1, None, _(
            "The anchor of %(day)s (%(source)s) names entry #%(seq)s, but the chain ends at #%(last)s: "
            "entries were removed from its end.") % {"day": anchor.day, "source": anchor.source,
                                                     "seq": anchor.seq, "last": last})
