"""Problem API beside the problems themselves: investigation tasks, incident links (an incident's
problem), major-incident waivers and the root-cause categories."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from incidents.workflow import INCIDENT_WORKERS
from itsm.api.mixins import ConcurrencyMixin
from itsm.api.schema import IF_MATCH_PARAMETER
from itsm.api.viewsets import ServiceModelViewSet
from itsm.permissions import ADMIN_ROLES, STAFF_ROLES

from .. import selectors, services
from ..filtersets import ProblemIncidentFilterSet
from ..workflow import PROBLEM_MANAGERS, PROBLEM_WORKERS
from . import serializers as s


class ProblemTaskViewSet(ConcurrencyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         viewsets.GenericViewSet):
    """Investigation tasks (created under their problem: POST problems/{id}/tasks/). PATCH changes
    an open task (If-Match or `version`, 428 without); finish/ completes or cancels it."""

    serializer_class = s.ProblemTaskSerializer
    read_roles = STAFF_ROLES
    write_roles = PROBLEM_WORKERS
    filterset_fields = ["problem", "assignee", "state"]
    ordering_fields = ["due_date", "created_at", "id"]
    ordering = ["id"]
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.problem_task_list(self.request.user)

    def answer(self, task):
        self._etag_object = task = self.get_queryset().get(pk=task.pk)
        return self.get_serializer(task).data

    @extend_schema(request=s.TaskInputSerializer, parameters=[IF_MATCH_PARAMETER],
                   responses=s.ProblemTaskSerializer)
    def partial_update(self, request, *args, **kwargs):
        task = self.get_object()
        expected = self.expected_version(request, task)
        serializer = s.TaskInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        task = services.problem_task_update(actor=request.user, task=task, data=serializer.validated_data,
                                            expected_version=expected)
        return Response(self.answer(task))

    @extend_schema(request=s.TaskFinishInputSerializer, parameters=[IF_MATCH_PARAMETER],
                   responses=s.ProblemTaskSerializer)
    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        """Complete the task with its outcome, or cancel it (`cancelled: true`) with a reason."""
        task = self.get_object()
        expected = self.expected_version(request, task) if _has_precondition(request) else None
        serializer = s.TaskFinishInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        task = services.problem_task_finish(actor=request.user, task=task, expected_version=expected,
                                            **serializer.validated_data)
        return Response(self.answer(task))


def _has_precondition(request) -> bool:
    return "If-Match" in request.headers or (hasattr(request.data, "get") and "version" in request.data)


class IncidentLinkViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Incident links across problems: `?incident=` finds an incident's problem, `?problem=` a
    problem's incidents. Link and unlink under the problem (problems/{id}/incidents/)."""

    serializer_class = s.IncidentLinkSerializer
    read_roles = STAFF_ROLES
    write_roles = PROBLEM_WORKERS
    filterset_class = ProblemIncidentFilterSet
    ordering_fields = ["linked_at", "id"]
    ordering = ["-linked_at"]

    def get_queryset(self):
        return selectors.incident_link_list(self.request.user)


class WaiverViewSet(ServiceModelViewSet):
    """Reasons recorded why a major incident needs no problem (it may then close without one).
    Recorded once per incident, never changed."""

    serializer_class = s.WaiverSerializer
    input_serializer_class = s.WaiverInputSerializer
    read_roles = STAFF_ROLES
    write_roles = (*INCIDENT_WORKERS, *PROBLEM_MANAGERS)
    filterset_fields = ["incident"]
    ordering_fields = ["recorded_at", "id"]
    ordering = ["-recorded_at"]
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.waiver_list(self.request.user)

    def perform_service_create(self, data):
        waiver = services.major_incident_waive_problem(actor=self.request.user, **data)
        return self.get_queryset().get(pk=waiver.pk)


class RootCauseCategoryViewSet(ServiceModelViewSet):
    """Root-cause categories. Staff read; administrators write (retire one with `is_active: false`)."""

    serializer_class = s.RootCauseCategorySerializer
    input_serializer_class = s.RootCauseCategoryInputSerializer
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES
    filterset_fields = ["is_active"]
    ordering_fields = ["name", "id"]
    ordering = ["name"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.root_cause_category_list(self.request.user)

    def expected_version(self, request, obj):
        return None  # categories carry no version: names only

    def perform_service_create(self, data):
        return services.root_cause_category_create(actor=self.request.user, data=data)

    def perform_service_update(self, obj, data, expected_version):
        return services.root_cause_category_update(actor=self.request.user, category=obj, data=data)
