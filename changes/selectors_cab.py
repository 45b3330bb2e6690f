"""Reads of the change advisory boards: boards, meetings, agendas. Staff read them (auditors
included); the pages and the API read through these gates (404 for what is missing)."""

from django.db.models import Count, Prefetch, Q
from django.http import Http404

from itsm.models import User

from .models import CabAgendaItem, CabBoard, CabMeeting, ChangeConflict
from .selectors import may_read_changes
from .selectors_approvals import board_groups

PEOPLE = User.objects.order_by("first_name", "last_name", "username")


def board_list(user):
    if not may_read_changes(user):
        return CabBoard.objects.none()
    return CabBoard.objects.select_related("chair", "team").annotate(member_count=Count("members")).order_by("name")


def board_get_for_user(user, pk) -> CabBoard:
    try:
        return board_list(user).prefetch_related(Prefetch("members", queryset=PEOPLE, to_attr="member_list")).get(pk=pk)
    except (CabBoard.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def meeting_list(user):
    if not may_read_changes(user):
        return CabMeeting.objects.none()
    return CabMeeting.objects.select_related("board").annotate(
        item_count=Count("items", distinct=True),
        decided_count=Count("items", filter=~Q(items__decision=""), distinct=True))


def meeting_get_for_user(user, pk) -> CabMeeting:
    try:
        return (meeting_list(user).select_related("board__chair")
                .prefetch_related(Prefetch("attendees", queryset=PEOPLE, to_attr="attendee_list")).get(pk=pk))
    except (CabMeeting.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def agenda_item_list(user):
    if not may_read_changes(user):
        return CabAgendaItem.objects.none()
    return CabAgendaItem.objects.select_related("meeting__board", "change", "decided_by")


def agenda_of(meeting: CabMeeting) -> list[CabAgendaItem]:
    """The meeting's items in order, each change with its requester and implementer, its current
    conflicts (`conflict_list`) and whether the board's group awaits a decision on it
    (`board_pending`): four queries however long the agenda is."""
    items = list(meeting.items.select_related("change__requester", "change__implementer", "decided_by")
                 .prefetch_related(Prefetch("change__conflicts", to_attr="conflict_list",
                                            queryset=ChangeConflict.objects.filter(cleared_at__isnull=True)))
                 .order_by("position", "pk"))
    pending = board_groups([item.change_id for item in items], meeting.board_id)
    for item in items:
        item.board_pending = bool(pending.get(item.change_id))
    return items
