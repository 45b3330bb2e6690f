"""The change advisory board: boards (administrator-managed), their meetings (planned from the
board's recurrence, or one at a time), agendas, attendance, minutes, and the decision minuted
per change, which is the board's approval (itsm.approvals.approval_settle_group).

Meetings are run by the board's chair or a change manager. Whoever requested or implements a
change may attend its discussion but never records the board's decision on it (segregation of
duties). A meeting's period runs from its start to the next meeting's: its agenda holds the
changes awaiting the board's authorisation and those scheduled in that period.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.approval_models import ApprovalState, Outcome
from itsm.approvals import approval_invalidate, approval_settle_group
from itsm.choices import JournalKind
from itsm.events import emit
from itsm.exceptions import NotPermitted
from itsm.journal import journal_add
from itsm.permissions import ADMIN_ROLES, permitted, require
from itsm.records import check_version, save_with_history, versioned_save
from itsm.recurrence import occurrences, validate_rrule
from itsm.services import system_actor
from itsm.validation import apply_fields, refuse_unknown
from itsm.workflow import transition_apply

from ..choices import AgendaDecision, ChangeState, MeetingState
from ..models import CabAgendaItem, CabBoard, CabMeeting, Change
from ..selectors_approvals import authorisation_requests, board_groups, latest_authorisation
from ..workflow import CHANGE_MANAGERS, CHANGE_WORKERS
from .approvals import after_decision

BOARD_FIELDS = ("name", "description", "team", "members", "chair", "first_meeting", "duration_minutes", "rrule",
                "time_zone", "location", "is_emergency", "is_active")
MEETING_FIELDS = ("attendees", "minutes", "state")
PLAN_HORIZON = timedelta(days=366)  # meetings are planned at most a year ahead
DEFAULT_PERIOD = timedelta(days=7)  # a meeting with no next one covers a week of changes


# --- Boards (administrators) ----------------------------------------------------------------------

def _check_board(board: CabBoard) -> None:
    errors = {}
    board.name = (board.name or "").strip()
    try:
        board.rrule = validate_rrule(board.rrule or "")
    except ValidationError as exc:
        errors["rrule"] = exc.messages
    if board.first_meeting is not None:  # meetings start on the minute (dateutil drops microseconds)
        board.first_meeting = board.first_meeting.replace(second=0, microsecond=0)
    if board.rrule and board.first_meeting is None:
        errors["first_meeting"] = _("A recurring board needs its first meeting.")
    try:
        ZoneInfo(board.time_zone or "")
    except (ZoneInfoNotFoundError, ValueError):
        errors["time_zone"] = _("Choose a time zone from the list.")
    if errors:
        raise ValidationError(errors)


def _with_chair(board: CabBoard, members) -> list:
    members = list(members)
    if board.chair_id and board.chair_id not in {m.pk for m in members}:
        members.append(board.chair)  # the chair is always a member
    return members


@transaction.atomic
def board_create(*, actor, data: dict) -> CabBoard:
    """Create a CAB with its members (the chair is always one). Administrators only."""
    require(actor, ADMIN_ROLES)
    refuse_unknown(data, BOARD_FIELDS)
    fields = {k: v for k, v in data.items() if k != "members"}
    board = CabBoard(**fields)
    _check_board(board)
    board.full_clean()
    save_with_history(board, actor=actor, reason="created")
    board.members.set(_with_chair(board, data.get("members") or []))
    return board


@transaction.atomic
def board_update(*, actor, board: CabBoard, data: dict, expected_version: int | None = None) -> CabBoard:
    """Change a CAB (retire it with `is_active=False`). Administrators only. Raises StaleRecord."""
    require(actor, ADMIN_ROLES)
    refuse_unknown(data, BOARD_FIELDS)
    locked = CabBoard.objects.select_for_update().get(pk=board.pk)
    check_version(locked, expected_version)
    apply_fields(locked, {k: v for k, v in data.items() if k != "members"}, BOARD_FIELDS)
    _check_board(locked)
    members = data.get("members")
    versioned_save(locked, actor=actor, reason="updated")
    if members is not None or locked.chair_id:
        locked.members.set(_with_chair(locked, members if members is not None else locked.members.all()))
    return locked


# --- Meetings (the chair or a change manager) ---------------------------------------------------

def require_chair(actor, board: CabBoard) -> None:
    """The board's chair or a change manager runs its meetings."""
    require(actor, CHANGE_WORKERS)
    if board.chair_id != actor.pk and not permitted(actor, CHANGE_MANAGERS):
        raise NotPermitted(_("Only the chair of %(board)s or a change manager may do this.") % {"board": board.name})


def _next_start(board: CabBoard, after):
    if not board.rrule:
        return None
    later = occurrences(start=board.first_meeting, end=_first_end(board), rrule=board.rrule, tz=board.time_zone,
                        window_start=after + timedelta(seconds=1), window_end=after + PLAN_HORIZON, limit=2)
    return next((start for start, _end in later if start > after), None)


def _first_end(board: CabBoard):
    return board.first_meeting + timedelta(minutes=board.duration_minutes or 60)


@transaction.atomic
def meetings_plan(*, actor, board: CabBoard, until, since=None) -> list[CabMeeting]:
    """Create the board's meetings from its recurrence between `since` (default now) and `until`
    (at most a year ahead); meetings that exist already are kept: running it twice adds nothing.
    Each meeting covers the changes up to the next one. Returns the meetings of that span."""
    board = CabBoard.objects.select_for_update().get(pk=board.pk)  # two planners: one after the other
    require_chair(actor, board)
    since = since or timezone.now()
    if board.first_meeting is None:
        raise ValidationError({"first_meeting": _("%(board)s has no first meeting to plan from.")
                               % {"board": board.name}})
    if until <= since or until - since > PLAN_HORIZON:
        raise ValidationError({"until": _("Plan up to a year ahead.")})
    found = occurrences(start=board.first_meeting, end=_first_end(board), rrule=board.rrule, tz=board.time_zone,
                        window_start=since, window_end=until, limit=400)
    existing = {m.starts_at: m for m in board.meetings.filter(starts_at__in=[s for s, _e in found])}
    meetings = []
    for index, (start, end) in enumerate(found):
        if start in existing:
            meetings.append(existing[start])
            continue
        following = found[index + 1][0] if index + 1 < len(found) else _next_start(board, start)
        meeting = CabMeeting(board=board, starts_at=start, ends_at=end, period_start=start,
                             period_end=following or start + DEFAULT_PERIOD)
        meeting.full_clean(validate_unique=False)
        save_with_history(meeting, actor=actor, reason="planned")
        meetings.append(meeting)
    return meetings


@transaction.atomic
def meeting_create(*, actor, board: CabBoard, starts_at, ends_at=None, period_end=None) -> CabMeeting:
    """One meeting of the board (an extra one, or a board without recurrence)."""
    require_chair(actor, board)
    starts_at = starts_at.replace(second=0, microsecond=0)
    ends_at = ends_at or starts_at + timedelta(minutes=board.duration_minutes or 60)
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The meeting must end after it starts.")})
    period_end = period_end or _next_start(board, starts_at) or starts_at + DEFAULT_PERIOD
    meeting = CabMeeting(board=board, starts_at=starts_at, ends_at=ends_at, period_start=starts_at,
                         period_end=period_end)
    meeting.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            save_with_history(meeting, actor=actor, reason="created")
    except IntegrityError:
        raise ValidationError({"starts_at": _("%(board)s meets at that time already.")
                               % {"board": board.name}}) from None
    return meeting


@transaction.atomic
def meeting_update(*, actor, meeting: CabMeeting, data: dict, expected_version: int | None = None) -> CabMeeting:
    """Record who attended (members of the board only), the minutes, and the meeting's state
    (held, or cancelled while nothing is decided). Raises StaleRecord."""
    refuse_unknown(data, MEETING_FIELDS)
    locked = CabMeeting.objects.select_for_update().select_related("board").get(pk=meeting.pk)
    require_chair(actor, locked.board)
    check_version(locked, expected_version)
    attendees = data.get("attendees")
    if attendees is not None:
        members = set(locked.board.members.values_list("pk", flat=True))
        outsiders = sorted(str(p) for p in attendees if p.pk not in members)
        if outsiders:
            raise ValidationError({"attendees": _("Not members of %(board)s: %(people)s.") % {
                "board": locked.board.name, "people": ", ".join(outsiders)}})
    state = data.get("state", locked.state)
    if state == MeetingState.CANCELLED and locked.items.exclude(decision="").exists():
        raise ValidationError({"state": _("Decisions are minuted: the meeting took place.")})
    if "minutes" in data:
        locked.minutes = (data["minutes"] or "").strip()
    locked.state = state
    if state == MeetingState.HELD and locked.held_at is None:
        locked.held_at = timezone.now()
    versioned_save(locked, actor=actor, reason="minuted")
    if attendees is not None:
        locked.attendees.set(attendees)
    return locked


# --- The agenda ---------------------------------------------------------------------------------

def agenda_candidates(meeting: CabMeeting) -> list[Change]:
    """Changes awaiting this board's authorisation (a pending group of one of its rules), and
    changes scheduled in the meeting's period, earliest window first."""
    waiting = authorisation_requests(Change.objects.filter(state=ChangeState.AUTHORISATION).values("pk"))
    # (a subquery: one statement however many changes await authorisation)
    waiting_ids = list(waiting.filter(state=ApprovalState.PENDING).values_list("object_id", flat=True))
    awaiting = set(board_groups(waiting_ids, meeting.board_id))
    scheduled = set(Change.objects.filter(state=ChangeState.SCHEDULED, planned_start__lt=meeting.period_end,
                                          planned_end__gt=meeting.period_start).values_list("pk", flat=True))
    return list(Change.objects.filter(pk__in=awaiting | scheduled).order_by("planned_start", "number"))


@transaction.atomic
def agenda_build(*, actor, meeting: CabMeeting) -> list[CabAgendaItem]:
    """Add the meeting's candidates that are not on its agenda yet (items and their decisions
    stay; running it twice adds nothing). Returns the items added."""
    locked = CabMeeting.objects.select_for_update().select_related("board").get(pk=meeting.pk)
    require_chair(actor, locked.board)
    if locked.state == MeetingState.CANCELLED:
        raise ValidationError(_("The meeting is cancelled."))
    present = set(locked.items.values_list("change_id", flat=True))
    position = locked.items.aggregate(last=Max("position"))["last"] or 0
    added = []
    for change in agenda_candidates(locked):
        if change.pk in present:
            continue
        position += 1
        item = CabAgendaItem(meeting=locked, change=change, position=position)
        save_with_history(item, actor=actor, reason="agenda")
        added.append(item)
    return added


@transaction.atomic
def agenda_decide(*, actor, item: CabAgendaItem, decision: str, notes: str = "") -> CabAgendaItem:
    """Minute the board's decision on one change. Approved or rejected settles the board's
    group in the change's pending authorisation (approved: the group's quorum is met; rejected:
    the change goes back to assessment); rejecting a scheduled change withdraws its approval.
    Deferred leaves the board's group pending. Recorded by the chair or a change manager, never
    by the change's requester or implementer. The meeting counts as held from its first decision."""
    item = CabAgendaItem.objects.select_for_update().select_related("meeting__board").get(pk=item.pk)
    meeting = item.meeting
    require_chair(actor, meeting.board)
    if decision not in AgendaDecision.values:
        raise ValidationError({"decision": _("Approve, reject or defer.")})
    if meeting.state == MeetingState.CANCELLED:
        raise ValidationError(_("The meeting is cancelled."))
    if item.decision in (AgendaDecision.APPROVED, AgendaDecision.REJECTED):
        raise ValidationError({"decision": _("The board's decision on this change is minuted already.")})
    change = Change.objects.select_for_update().get(pk=item.change_id)
    if actor.pk in (change.requester_id, change.implementer_id):
        raise NotPermitted(_("You requested or implement %(number)s: someone else records the board's decision.")
                           % {"number": change.number})
    notes = (notes or "").strip()
    if decision == AgendaDecision.DEFERRED:
        journal_add(record=change, actor=actor, kind=JournalKind.APPROVAL, body=_("Deferred by %(meeting)s.")
                    % {"meeting": _meeting_name(meeting)} + (f" {notes}" if notes else ""),
                    data={"step": "cab_deferred", "meeting": meeting.pk})
    else:
        _settle(actor, meeting, change, decision, notes)
    item.decision, item.notes, item.decided_at, item.decided_by = decision, notes, timezone.now(), actor
    save_with_history(item, actor=actor, reason=f"decision: {decision}")
    _mark_held(meeting, actor)
    return item


def _meeting_name(meeting: CabMeeting) -> str:
    return _("CAB meeting %(board)s of %(date)s") % {
        "board": meeting.board.name,
        "date": timezone.localtime(meeting.starts_at, ZoneInfo(meeting.board.time_zone)).strftime("%Y-%m-%d %H:%M")}


def _settle(actor, meeting: CabMeeting, change: Change, decision: str, notes: str) -> None:
    outcome = Outcome.APPROVE if decision == AgendaDecision.APPROVED else Outcome.REJECT
    groups = board_groups([change.pk], meeting.board_id).get(change.pk, [])
    if change.state == ChangeState.AUTHORISATION and groups:
        attendees = list(meeting.attendees.order_by("username"))
        for group in groups:
            approval_settle_group(actor=actor, group=group, outcome=outcome, on_behalf=_meeting_name(meeting),
                                  comment=notes, attendees=attendees)
            if outcome == Outcome.REJECT:
                break  # a veto closes the request
        after_decision(change, groups[0].request_id, actor=actor, comment=notes)
    elif change.state == ChangeState.SCHEDULED and outcome == Outcome.REJECT:
        _withdraw_schedule(actor, meeting, change, notes)
    elif change.state == ChangeState.SCHEDULED:
        journal_add(record=change, actor=actor, kind=JournalKind.APPROVAL,
                    body=_("Confirmed by %(meeting)s.") % {"meeting": _meeting_name(meeting)} + (
                        f" {notes}" if notes else ""), data={"step": "cab_confirmed", "meeting": meeting.pk})
    else:
        raise ValidationError({"decision": _("%(board)s has no decision pending on %(number)s.") % {
            "board": meeting.board.name, "number": change.number}})


def _withdraw_schedule(actor, meeting: CabMeeting, change: Change, notes: str) -> None:
    reason = _("Rejected by %(meeting)s.") % {"meeting": _meeting_name(meeting)} + (f" {notes}" if notes else "")
    latest = latest_authorisation(change)
    if latest is not None:
        approval_invalidate(latest, reason, actor=actor)
    stepper = actor if permitted(actor, CHANGE_MANAGERS) else system_actor()
    change = transition_apply(actor=stepper, record=change, name="return_to_assessment", reason=reason)
    emit("change.rejected", record=change, actor=actor,
         payload={"approval": latest.pk if latest else None, "by": actor.pk, "comment": notes,
                  "meeting": meeting.pk})


def _mark_held(meeting: CabMeeting, actor) -> None:
    if meeting.state != MeetingState.PLANNED:
        return
    meeting = CabMeeting.objects.select_for_update().get(pk=meeting.pk)
    meeting.state, meeting.held_at = MeetingState.HELD, meeting.held_at or timezone.now()
    versioned_save(meeting, actor=actor, reason="held")
