"""Schedule API (/api/v1/changes/...): blackout and maintenance windows (`windows/`: staff read,
administrators write; retire one with is_active=false), a change's conflicts (`conflicts/<id>/`)
a re-check of them (`conflicts/<id>/recheck/`), an override of the ones found
since scheduling (`conflicts/<id>/override/`), scheduling a change with an override reason
(`schedule/<id>/`), and the change calendar's events (`calendar/events/`).

Writes go through changes.services.windows, .states (change_transition) and .conflicts; reads
through changes.calendar and changes.selectors (staff read, auditors and read-only tokens too).
"""

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from itsm.api.errors import PreconditionFailed
from itsm.api.mixins import etag_for
from itsm.api.viewsets import ServiceModelViewSet
from itsm.permissions import ADMIN_ROLES, STAFF_ROLES, require

from ..calendar import calendar_events, window_list
from ..choices import ChangeModel, ChangeState
from ..selectors import change_list
from ..services.conflicts import conflicts_override, conflicts_recheck, current_conflicts, scheduling_refusal
from ..services.states import change_transition
from ..services.windows import window_create, window_update
from ..workflow import CHANGE_MANAGERS, CHANGE_WORKERS
from . import schedule_serializers as s

STANDARD_FROM = (ChangeState.NEW, ChangeState.ASSESSMENT)  # where schedule_standard starts


def _expected_version(request, change) -> int | None:
    """An If-Match or `version` given must be the change's current one (412); none: no check."""
    if_match = request.headers.get("If-Match", "").strip()
    if if_match:
        if if_match not in (etag_for(change), "*"):
            raise PreconditionFailed()
        return change.version
    version = request.data.get("version") if hasattr(request.data, "get") else None
    if version is not None and type(version) is not int:
        raise PreconditionFailed("version must be an integer.")
    return version


class WindowViewSet(ServiceModelViewSet):
    """Blackout windows (global without a service) and maintenance windows (of a service or a CI),
    one-off or recurring (RRULE in `time_zone`). Updates need If-Match (or `version`)."""

    serializer_class = s.WindowSerializer
    input_serializer_class = s.WindowInputSerializer
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES
    filterset_fields = ["kind", "is_active", "service", "ci"]
    ordering_fields = ["name", "start", "id"]
    ordering = ["kind", "name"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return window_list(self.request.user)

    def perform_service_create(self, data):
        return window_create(actor=self.request.user, data=dict(data))

    def perform_service_update(self, obj, data, expected_version):
        return window_update(actor=self.request.user, window=obj, data=dict(data), expected_version=expected_version)


def _conflicts_body(change) -> dict:
    return {
        "id": change.pk, "number": change.number, "state": change.state, "planned_start": change.planned_start,
        "planned_end": change.planned_end, "may_schedule": not scheduling_refusal(change),
        "conflicts": current_conflicts(change), "conflict_override_reason": change.conflict_override_reason,
        "conflict_overridden_by": change.conflict_overridden_by, "conflict_overridden_at": change.conflict_overridden_at,
    }


class ChangeAPIView(APIView):
    def change(self, request, pk):
        return get_object_or_404(change_list(request.user).select_related("conflict_overridden_by"), pk=pk)

    def answer(self, request, pk):
        change = self.change(request, pk)
        return Response(s.ChangeConflictsSerializer(_conflicts_body(change)).data, headers={"ETag": etag_for(change)})


class ChangeConflictsView(ChangeAPIView):
    """GET: the change's current conflicts, each with its cause and policy, and its override."""

    read_roles = STAFF_ROLES
    write_roles = CHANGE_WORKERS  # a POST is answered 405

    @extend_schema(responses=s.ChangeConflictsSerializer, operation_id="changes_conflicts")
    def get(self, request, pk):
        return self.answer(request, pk)


class ChangeConflictsRecheckView(ChangeAPIView):
    """POST: check the change's conflicts again now (new ones are notified)."""

    read_roles = STAFF_ROLES  # a GET is answered 405
    write_roles = CHANGE_WORKERS

    @extend_schema(request=None, responses=s.ChangeConflictsSerializer, operation_id="changes_conflicts_recheck")
    def post(self, request, pk):
        conflicts_recheck(self.change(request, pk), actor=request.user)
        return self.answer(request, pk)


class ChangeConflictsOverrideView(ChangeAPIView):
    """POST {"reason"}: override the conflicts waiting for one (found since the change was
    scheduled). Change managers; 400 without a reason or with nothing to override."""

    read_roles = STAFF_ROLES  # a GET is answered 405
    write_roles = CHANGE_MANAGERS

    @extend_schema(request=s.OverrideInputSerializer, responses=s.ChangeConflictsSerializer,
                   operation_id="changes_conflicts_override")
    def post(self, request, pk):
        serializer = s.OverrideInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        conflicts_override(self.change(request, pk), actor=request.user, reason=serializer.validated_data["reason"])
        return self.answer(request, pk)


class ChangeScheduleView(ChangeAPIView):
    """POST: schedule the change in a window (the `schedule` step, or `schedule_standard` for a
    standard change not yet scheduled). Conflicts that block are a 400 naming them under
    `conflicts`; ones that need an override are a 400 under `override_reason` unless a reason is
    given, which is then kept with the change and its conflicts."""

    read_roles = STAFF_ROLES  # a GET is answered 405
    write_roles = CHANGE_WORKERS

    @extend_schema(request=s.ScheduleInputSerializer, responses=s.ChangeConflictsSerializer,
                   operation_id="changes_schedule")
    def post(self, request, pk):
        change = self.change(request, pk)
        serializer = s.ScheduleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        standard = change.change_model == ChangeModel.STANDARD and change.state in STANDARD_FROM
        step = change.workflow.get("schedule_standard" if standard else "schedule")
        require(request.user, step.roles)  # before the step's other checks: who may, first
        change_transition(actor=request.user, change=change, name=step.name,
                          data={"planned_start": data["planned_start"], "planned_end": data["planned_end"]},
                          reason=data["reason"], expected_version=_expected_version(request, change),
                          override_reason=data["override_reason"].strip())
        return self.answer(request, pk)


class CalendarEventsView(APIView):
    """GET: the calendar's events in a range (at most 100 days): changes (not cancelled) whose
    planned window meets it, with classes for their state and risk, and the blackout and
    maintenance windows' occurrences as background events; filters by service, group and CI."""

    read_roles = STAFF_ROLES
    write_roles = ()  # read only

    @extend_schema(parameters=[s.CalendarQuerySerializer], responses=s.CalendarEventsSerializer,
                   operation_id="changes_calendar_events")
    def get(self, request):
        query = s.CalendarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = dict(query.validated_data)
        start, end = data.pop("start"), data.pop("end")
        return Response(calendar_events(request.user, start, end, **data))


urlpatterns = [
    path("schedule/<int:pk>/", ChangeScheduleView.as_view(), name="change-schedule"),
    path("conflicts/<int:pk>/", ChangeConflictsView.as_view(), name="change-conflicts"),
    path("conflicts/<int:pk>/recheck/", ChangeConflictsRecheckView.as_view(), name="change-conflicts-recheck"),
    path("conflicts/<int:pk>/override/", ChangeConflictsOverrideView.as_view(), name="change-conflicts-override"),
    path("calendar/events/", CalendarEventsView.as_view(), name="calendar-events"),
]


def register(router) -> None:
    """Register this slice's viewsets on the changes API router."""
    router.register("windows", WindowViewSet, basename="change-window")
