"""Trend detection and its proposals: recurring incidents proposed as candidate problems, which a
problem manager accepts (a problem is created with the incidents linked) or dismisses with a
reason. Proposals keep their history (who decided what, when, why) for auditors.

The grouping itself is in problems.trends; this module decides what each group means for the
proposals on record and writes them.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import Incident
from itsm.events import emit
from itsm.exceptions import TransitionNotAllowed
from itsm.permissions import require
from itsm.records import save_with_history, versioned_save
from itsm.services import system_actor

from .. import trends
from ..choices import ProblemSource, ProposalState
from ..models import Problem, ProblemIncident, TrendProposal
from ..workflow import PROBLEM_MANAGERS
from .links import problem_from_incidents

# How many keys one query of the proposals on record asks about (SQLite allows 999 parameters).
KEY_CHUNK = 500
# The advisory lock that keeps two detection runs apart (any fixed 64-bit number of our own).
TREND_LOCK = 0x5052_4254_5245_4E44  # "PRBTREND"


def trend_detect(*, now=None, window_days: int | None = None, threshold: int | None = None) -> list[TrendProposal]:
    """Group the incidents opened in the last `window_days` that no problem links, and turn each
    group of at least `threshold` into a pending proposal (problems.trends says how they are
    grouped). A pending proposal of the same group is refreshed (its incidents brought up to
    date); a dismissed group is proposed again only once it holds more incidents than when it
    was dismissed; an accepted group is not proposed again. Runs as the system account; safe to
    run twice and concurrently (runs wait for each other; a second finds the first's proposals
    and writes nothing). Returns the proposals created or refreshed; one event
    `problem.trends_detected` naming them."""
    now = now or timezone.now()
    window_days = settings.PROBLEM_TREND_WINDOW_DAYS if window_days is None else window_days
    threshold = settings.PROBLEM_TREND_THRESHOLD if threshold is None else threshold
    if window_days < 1 or threshold < 2:
        raise ValidationError(_("The window is at least one day and the threshold at least two incidents."))
    actor = system_actor()
    with transaction.atomic():
        _one_run_at_a_time()
        window = trends.read_window(now - timedelta(days=window_days))
        candidates = trends.find_groups(window, threshold=threshold, window_days=window_days)
        on_record = _proposals_on_record([candidate.key for candidate in candidates])
        written, new = [], 0
        # The largest groups first; at most PROBLEM_TREND_MAX_NEW new proposals a run (the rest
        # wait for the next runs): nobody reviews thousands at once, and a first run on a busy
        # window stays short (bench/problem_trends.py). Pending ones are always refreshed.
        for candidate in sorted(candidates, key=lambda c: -len(c.incident_ids)):
            record = on_record.get(candidate.key, {})
            if record.get("pending") is None and new >= settings.PROBLEM_TREND_MAX_NEW:
                continue
            proposal = _apply(candidate, record, actor=actor, now=now, window_days=window_days)
            if proposal is not None:
                written.append(proposal)
                new += record.get("pending") is None
        if written:  # one event per run: a first run may propose hundreds of groups
            emit("problem.trends_detected", actor=actor, payload={"proposals": [p.pk for p in written]})
    return written


def _one_run_at_a_time() -> None:
    """Runs (the beat's task, the command) wait for each other: a run never proposes a group
    another is proposing. On PostgreSQL a transaction-scoped advisory lock; SQLite lets one
    writer at a time anyway (and the unique pending key backs both)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TREND_LOCK])


def _proposals_on_record(keys: list[str]) -> dict[str, dict]:
    """{key: {"pending": proposal with `incident_ids`, "accepted": bool, "dismissed_count": n}},
    the pending rows locked (a concurrent run waits, then refreshes nothing new)."""
    found: dict[str, dict] = {}
    for start in range(0, len(keys), KEY_CHUNK):
        chunk = keys[start:start + KEY_CHUNK]
        rows = TrendProposal.objects.filter(key__in=chunk).order_by("pk").values_list("pk", "key", "state",
                                                                                      "incident_count")
        pending_pks = []
        for pk, key, state, count in rows:
            entry = found.setdefault(key, {"pending": None, "accepted": False, "dismissed_count": None})
            if state == ProposalState.ACCEPTED:
                entry["accepted"] = True
            elif state == ProposalState.DISMISSED:
                entry["dismissed_count"] = max(entry["dismissed_count"] or 0, count)
            else:
                pending_pks.append(pk)
        if pending_pks:
            pending = list(TrendProposal.objects.select_for_update().filter(pk__in=pending_pks).order_by("pk"))
            members = _incident_ids_of(pending_pks)
            for proposal in pending:
                proposal.incident_ids = members.get(proposal.pk, set())
                found[proposal.key]["pending"] = proposal
    return found


def _incident_ids_of(proposal_pks) -> dict[int, set[int]]:
    through = TrendProposal.incidents.through.objects.filter(trendproposal_id__in=proposal_pks)
    members: dict[int, set[int]] = {}
    for proposal_id, incident_id in through.values_list("trendproposal_id", "incident_id"):
        members.setdefault(proposal_id, set()).add(incident_id)
    return members


def _apply(candidate, on_record: dict, *, actor, now, window_days) -> TrendProposal | None:
    if on_record.get("accepted"):
        return None
    pending = on_record.get("pending")
    if pending is not None:
        return _refresh(pending, candidate, actor=actor, now=now)
    dismissed_count = on_record.get("dismissed_count")
    if dismissed_count is not None and len(candidate.incident_ids) <= dismissed_count:
        return None
    return _propose(candidate, actor=actor, now=now, window_days=window_days)


def _propose(candidate, *, actor, now, window_days) -> TrendProposal:
    proposal = TrendProposal(
        key=candidate.key, basis=candidate.basis, title=candidate.title[:200], explanation=candidate.explanation,
        service_id=candidate.service_id, ci_id=candidate.ci_id, category_id=candidate.category_id,
        incident_count=len(candidate.incident_ids), window_days=window_days, detected_at=now)
    save_with_history(proposal, actor=actor, reason="proposed by trend detection")
    proposal.incidents.set(candidate.incident_ids)
    return proposal


def _refresh(proposal: TrendProposal, candidate, *, actor, now) -> TrendProposal | None:
    """Bring a pending proposal's incidents up to date; nothing is written when they are the same."""
    if proposal.incident_ids == set(candidate.incident_ids):
        return None
    proposal.title, proposal.explanation = candidate.title[:200], candidate.explanation
    proposal.incident_count, proposal.detected_at = len(candidate.incident_ids), now
    versioned_save(proposal, actor=actor, reason="refreshed by trend detection")
    proposal.incidents.set(candidate.incident_ids)
    return proposal


@transaction.atomic
def proposal_accept(*, actor, proposal: TrendProposal, data: dict | None = None) -> Problem:
    """Accept a pending proposal: a problem (source "trend proposal") is created from its
    incidents that are still linked to no problem, with their fields carried over
    (problem_from_incidents; `data` overrides them), and the incidents linked. The proposal
    records who decided, when, and the problem. Refused when the proposal is no longer pending
    (also when two people accept at once: the row is locked) or none of its incidents is free."""
    require(actor, PROBLEM_MANAGERS)
    locked = _locked_pending(proposal)
    incidents = list(Incident.objects.filter(pk__in=locked.incidents.values("pk"))
                     .exclude(pk__in=ProblemIncident.objects.values("incident_id"))
                     .prefetch_related("cis").order_by("pk"))
    if not incidents:
        raise ValidationError({"incidents": _("Every incident of this proposal is already linked to a problem: "
                                              "dismiss it instead.")})
    problem = problem_from_incidents(actor=actor, incidents=incidents,
                                     data={"source": ProblemSource.TREND_PROPOSAL, **(data or {})})
    locked.state, locked.problem = ProposalState.ACCEPTED, problem
    locked.decided_by, locked.decided_at = actor, timezone.now()
    versioned_save(locked, actor=actor, reason=f"accepted: {problem.number}")
    emit("problem.trend_accepted", record=problem, actor=actor, payload={"proposal": locked.pk})
    return problem


@transaction.atomic
def proposal_dismiss(*, actor, proposal: TrendProposal, reason: str) -> TrendProposal:
    """Dismiss a pending proposal with a reason (required). The same group is proposed again
    only when it grows beyond the incidents it holds now."""
    require(actor, PROBLEM_MANAGERS)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why this is not a problem.")})
    locked = _locked_pending(proposal)
    locked.state, locked.dismiss_reason = ProposalState.DISMISSED, reason.strip()
    locked.decided_by, locked.decided_at = actor, timezone.now()
    versioned_save(locked, actor=actor, reason="dismissed")
    return locked


def _locked_pending(proposal: TrendProposal) -> TrendProposal:
    locked = TrendProposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.state != ProposalState.PENDING:
        decided = {"who": locked.decided_by or _("someone"), "state": locked.get_state_display().lower(),
                   "when": timezone.localtime(locked.decided_at).strftime("%Y-%m-%d %H:%M") if locked.decided_at
                   else ""}
        raise TransitionNotAllowed(_("This proposal was already %(state)s by %(who)s (%(when)s).") % decided)
    return locked
