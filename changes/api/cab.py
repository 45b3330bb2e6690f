"""CAB API, under /api/v1/changes/:
- `cab-boards/`: boards (staff read, administrators write); `cab-boards/{id}/plan/` {until}:
  create the meetings of its recurrence (idempotent);
- `cab-meetings/`: meetings (`?board=`, `?state=`); create one {board, starts_at, ends_at};
  update attendance, minutes, state (with `version`); `{id}/agenda/` its items;
  `{id}/build-agenda/` adds the changes awaiting the board or scheduled in its period;
- `cab-agenda-items/` (`?meeting=`, `?change=`); `{id}/decide/` {decision, notes}: the board's
  decision on one change, which settles the board's approver group in its authorisation.
Meetings are run by the board's chair or a change manager (the services check it: 403).
"""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from itsm.api.viewsets import ServiceModelViewSet
from itsm.models import User
from itsm.permissions import ADMIN_ROLES, STAFF_ROLES

from ..selectors_cab import agenda_item_list, agenda_of, board_list, meeting_list
from ..services import cab
from ..workflow import CHANGE_WORKERS
from . import approval_serializers as s

urlpatterns = []
PEOPLE = User.objects.order_by("username")


def register(router) -> None:
    router.register("cab-boards", CabBoardViewSet, basename="cab-board")
    router.register("cab-meetings", CabMeetingViewSet, basename="cab-meeting")
    router.register("cab-agenda-items", CabAgendaItemViewSet, basename="cab-agenda-item")


class CabBoardViewSet(ServiceModelViewSet):
    """Change advisory boards: members, chair, recurrence. Staff read; administrators write;
    the chair or a change manager plans the meetings (`plan`)."""

    serializer_class = s.CabBoardSerializer
    input_serializer_class = s.CabBoardInputSerializer
    read_roles = STAFF_ROLES
    filterset_fields = ["is_active", "is_emergency"]
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]
    lookup_value_regex = "[0-9]+"

    @property
    def write_roles(self):
        # Planning is the chair's or a change manager's (the service narrows it); the rest, the
        # administrators'. A method the URL lacks (405 once permitted): whoever may use the URL.
        action_name = getattr(self, "action", None) or next(iter(getattr(self, "action_map", {}).values()), None)
        return CHANGE_WORKERS if action_name == "plan" else ADMIN_ROLES

    def get_queryset(self):
        return board_list(self.request.user).prefetch_related(
            Prefetch("members", queryset=PEOPLE, to_attr="member_list"))

    def fresh(self, board):
        return self.get_queryset().get(pk=board.pk)

    def perform_service_create(self, data):
        return self.fresh(cab.board_create(actor=self.request.user, data=data))

    def perform_service_update(self, obj, data, expected_version):
        return self.fresh(cab.board_update(actor=self.request.user, board=obj, data=data,
                                           expected_version=expected_version))

    @extend_schema(request=s.PlanInputSerializer, responses=s.CabMeetingSerializer(many=True))
    @action(detail=True, methods=["post"])
    def plan(self, request, pk=None):
        """Create the board's meetings from its recurrence, from now until `until`; existing ones
        are kept (running it twice adds nothing). Answers the meetings of that span."""
        board = self.get_object()
        serializer = s.PlanInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        meetings = cab.meetings_plan(actor=request.user, board=board, **serializer.validated_data)
        found = meeting_list(request.user).filter(pk__in=[m.pk for m in meetings]).order_by("starts_at") \
            .prefetch_related(Prefetch("attendees", queryset=PEOPLE, to_attr="attendee_list"))
        return Response(s.CabMeetingSerializer(found, many=True).data)


class CabMeetingViewSet(ServiceModelViewSet):
    """CAB meetings, newest first. Staff read; the board's chair or a change manager adds one,
    records attendance, minutes and state, and builds the agenda."""

    serializer_class = s.CabMeetingSerializer
    read_roles = STAFF_ROLES
    write_roles = CHANGE_WORKERS
    filterset_fields = ["board", "state"]
    ordering_fields = ["starts_at", "id"]
    ordering = ["-starts_at", "-id"]
    lookup_value_regex = "[0-9]+"

    @property
    def input_serializer_class(self):
        if getattr(self, "action", None) == "create":
            return s.CabMeetingCreateSerializer
        return s.CabMeetingInputSerializer

    def get_queryset(self):
        return meeting_list(self.request.user).prefetch_related(
            Prefetch("attendees", queryset=PEOPLE, to_attr="attendee_list"))

    def fresh(self, meeting):
        return self.get_queryset().get(pk=meeting.pk)

    def perform_service_create(self, data):
        board = board_list(self.request.user).get(pk=data.pop("board").pk)
        return self.fresh(cab.meeting_create(actor=self.request.user, board=board, **data))

    def perform_service_update(self, obj, data, expected_version):
        return self.fresh(cab.meeting_update(actor=self.request.user, meeting=obj, data=data,
                                             expected_version=expected_version))

    @extend_schema(responses=s.CabAgendaItemSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], pagination_class=None)
    def agenda(self, request, pk=None):
        """The meeting's agenda in order."""
        return Response(s.CabAgendaItemSerializer(agenda_of(self.get_object()), many=True).data)

    @extend_schema(request=None, responses=s.CabAgendaItemSerializer(many=True))
    @action(detail=True, methods=["post"], url_path="build-agenda", url_name="build-agenda")
    def build_agenda(self, request, pk=None):
        """Add the changes awaiting the board's authorisation and those scheduled in the meeting's
        period that are not on the agenda yet; answers the whole agenda."""
        meeting = self.get_object()
        cab.agenda_build(actor=request.user, meeting=meeting)
        return Response(s.CabAgendaItemSerializer(agenda_of(meeting), many=True).data)


class CabAgendaItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Agenda items of CAB meetings; `decide` minutes the board's decision on the change."""

    serializer_class = s.CabAgendaItemSerializer
    read_roles = STAFF_ROLES
    write_roles = CHANGE_WORKERS
    filterset_fields = ["meeting", "change", "decision"]
    ordering_fields = ["position", "id"]
    ordering = ["meeting", "position", "id"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return agenda_item_list(self.request.user)

    @extend_schema(request=s.AgendaDecideInputSerializer, responses=s.CabAgendaItemSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Approved or rejected settles the board's group in the change's pending authorisation
        (rejected: the change goes back to assessment); deferred leaves it pending. 403 for the
        change's requester or implementer, and for anyone but the chair or a change manager."""
        item = self.get_object()
        serializer = s.AgendaDecideInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = cab.agenda_decide(actor=request.user, item=item, **serializer.validated_data)
        return Response(s.CabAgendaItemSerializer(self.get_queryset().get(pk=item.pk)).data,
                        status=status.HTTP_200_OK)
