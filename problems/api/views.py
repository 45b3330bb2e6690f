"""Problem API: problems with their workflow, journal, assignment, incident links, investigation
tasks and workarounds; problems made from incidents.

Every write goes through problems.services (which decide who may take each step), every read
through problems.selectors (staff read problems, auditors included; requesters see nothing).
"""

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from incidents.workflow import INCIDENT_WORKERS
from itsm.api.mixins import respond_idempotently
from itsm.api.schema import IDEMPOTENCY_PARAMETER, IF_MATCH_PARAMETER, paginated
from itsm.api.viewsets import ServiceModelViewSet, WorkflowActionsMixin
from itsm.permissions import STAFF_ROLES

from .. import selectors, services
from ..filtersets import ProblemFilterSet
from ..models import ProblemIncident
from ..workflow import PROBLEM_WORKERS
from . import serializers as s

# The actions whose service asks for other roles than PROBLEM_WORKERS: applying a workaround is
# work on an incident (the service desk's).
ACTION_WRITE_ROLES = {"apply_workaround": INCIDENT_WORKERS}


def with_incident_count(queryset):
    """`queryset` with `incident_count`: a subquery, so the row query gains no join nor GROUP BY."""
    counts = (ProblemIncident.objects.filter(problem_id=OuterRef("pk")).order_by()
              .values("problem_id").annotate(n=Count("pk")).values("n"))
    return queryset.annotate(incident_count=Coalesce(Subquery(counts, output_field=IntegerField()), 0))


class ProblemViewSet(WorkflowActionsMixin, ServiceModelViewSet):
    """Problems. Staff read (auditors included); problem workers log, edit, link and investigate;
    problem managers publish known errors, resolve, close and cancel. Requesters get 403."""

    serializer_class = s.ProblemDetailSerializer
    input_serializer_class = s.ProblemInputSerializer
    filterset_class = ProblemFilterSet
    ordering_fields = ["number", "opened_at", "priority", "state", "updated_at", "known_error_at", "id"]
    ordering = ["-opened_at"]
    lookup_value_regex = "[0-9]+"
    read_roles = STAFF_ROLES

    @property
    def write_roles(self):
        if getattr(self, "action", None) is not None:
            return ACTION_WRITE_ROLES.get(self.action, PROBLEM_WORKERS)
        # A method this URL lacks (405 once permitted): whoever may use the URL at all.
        roles = set()
        for name in getattr(self, "action_map", {}).values():
            roles.update(ACTION_WRITE_ROLES.get(name, PROBLEM_WORKERS))
        return tuple(roles) or PROBLEM_WORKERS

    def get_queryset(self):
        return with_incident_count(selectors.with_details(selectors.problem_list(self.request.user)))

    def get_serializer_class(self):
        if getattr(self, "action", None) == "list":
            return s.ProblemSerializer
        return super().get_serializer_class()

    def fresh(self, problem):
        """The problem re-read through the selector, as a GET answers it."""
        return self.get_queryset().get(pk=problem.pk)

    def answer(self, problem, status_code=status.HTTP_200_OK):
        self._etag_object = problem = self.fresh(problem)
        return self.output(problem, status_code)

    def optional_version(self, request, problem):
        return self.expected_version(request, problem) if self._has_precondition(request) else None

    # --- create, update, workflow, journal -----------------------------------------------------

    def perform_service_create(self, data):
        return self.fresh(services.problem_create(actor=self.request.user, data=data))

    def perform_service_update(self, obj, data, expected_version):
        return self.fresh(services.problem_update(actor=self.request.user, problem=obj, data=data,
                                                  expected_version=expected_version))

    @extend_schema(request=s.ProblemTransitionInputSerializer, parameters=[IF_MATCH_PARAMETER],
                   responses=s.ProblemDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Take a workflow step (see transitions/). On `resolve`, `linked_incidents` says what happens
        to the incidents waiting on the problem (resume, resolve or leave)."""
        problem = self.get_object()
        expected = self.optional_version(request, problem)
        serializer = s.ProblemTransitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        problem = services.problem_transition(
            actor=request.user, problem=problem, name=data["transition"], data=dict(data["data"]),
            reason=data["reason"], expected_version=expected, linked_incidents=data["linked_incidents"])
        return self.answer(problem)

    def perform_comment(self, record, *, body, internal):
        return services.problem_comment(actor=self.request.user, problem=record, body=body, internal=internal)

    @extend_schema(request=s.ProblemAssignInputSerializer, parameters=[IF_MATCH_PARAMETER],
                   responses=s.ProblemDetailSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Assign to a group and, optionally, one of its members (`assignee: null` leaves it to the group)."""
        problem = self.get_object()
        expected = self.optional_version(request, problem)
        serializer = s.ProblemAssignInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        problem = services.problem_assign(actor=request.user, problem=problem, group=data["assignment_group"],
                                          assignee=data.get("assignee"), expected_version=expected,
                                          reason=data["reason"])
        return self.answer(problem)

    # --- incidents -----------------------------------------------------------------------------

    @extend_schema(responses=s.ProblemIncidentSerializer(many=True))
    @action(detail=True, methods=["get"])
    @paginated
    def incidents(self, request, pk=None):
        """The linked incidents, newest first: state, service, dates, whether each waits on the
        problem, matched it as a known error, had its workaround applied."""
        problem = self.get_object()
        page = self.paginate_queryset(selectors.linked_incidents(problem))
        return self.get_paginated_response(s.ProblemIncidentSerializer(page, many=True).data)

    @extend_schema(request=s.LinkInputSerializer, responses={201: s.ProblemIncidentSerializer(many=True)})
    @incidents.mapping.post
    def link_incidents(self, request, pk=None):
        """Link incidents (`hold`: put the open ones on hold awaiting the problem). An incident linked
        to another problem is refused (400) and nothing is linked. 201 with the new links."""
        problem = self.get_object()
        serializer = s.LinkInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        links = services.problem_link_incidents(actor=request.user, problem=problem,
                                                incidents=serializer.validated_data["incidents"],
                                                hold=serializer.validated_data["hold"])
        created = selectors.linked_incidents(problem).filter(pk__in=[link.pk for link in links])
        return Response(s.ProblemIncidentSerializer(created, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.UnlinkInputSerializer, responses={204: None})
    @action(detail=True, methods=["post"], url_path="incidents/unlink", url_name="unlink-incident")
    def unlink_incident(self, request, pk=None):
        """Unlink an incident (one waiting on the problem resumes)."""
        problem = self.get_object()
        serializer = s.UnlinkInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.problem_unlink_incident(actor=request.user, problem=problem,
                                         incident=serializer.validated_data["incident"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER], request=s.FromIncidentsInputSerializer,
                   responses={201: s.ProblemDetailSerializer})
    @action(detail=False, methods=["post"], url_path="from-incidents", url_name="from-incidents")
    def from_incidents(self, request):
        """A problem made from incidents: the first (a major one first) gives its text, service and
        category, the highest impact and urgency and every CI are carried over; fields given
        override them. The incidents are linked (`hold`: and put on hold awaiting it)."""
        return respond_idempotently(request, lambda: self._from_incidents(request))

    def _from_incidents(self, request):
        serializer = s.FromIncidentsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        incidents, hold = data.pop("incidents"), data.pop("hold")
        problem = services.problem_from_incidents(actor=request.user, incidents=incidents, data=data, hold=hold)
        return self.answer(problem, status.HTTP_201_CREATED)

    @extend_schema(request=s.ApplyWorkaroundInputSerializer, responses=s.ApplyWorkaroundResultSerializer)
    @action(detail=True, methods=["post"], url_path="apply-workaround", url_name="apply-workaround")
    def apply_workaround(self, request, pk=None):
        """Apply the known error's workaround to an incident: a comment the caller sees (`public`) or
        a work note, and (`link`) the incident linked to the problem as spared an investigation."""
        problem = self.get_object()
        serializer = s.ApplyWorkaroundInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = serializer.validated_data["incident"]
        link = services.known_error_apply(actor=request.user, problem=problem, **serializer.validated_data)
        if link is not None:
            link = selectors.linked_incidents(problem).filter(pk=link.pk).first()
        return Response(s.ApplyWorkaroundResultSerializer({"incident": incident.pk, "link": link}).data)

    # --- investigation tasks -------------------------------------------------------------------

    @extend_schema(responses=s.ProblemTaskSerializer(many=True), operation_id="problems_tasks_of_problem")
    @action(detail=True, methods=["get"])
    def tasks(self, request, pk=None):
        """The problem's investigation tasks (open first, by due date)."""
        problem = self.get_object()
        return Response(s.ProblemTaskSerializer(selectors.tasks_of(problem), many=True).data)

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER], request=s.TaskInputSerializer,
                   responses={201: s.ProblemTaskSerializer}, operation_id="problems_tasks_add_to_problem")
    @tasks.mapping.post
    def add_task(self, request, pk=None):
        """Add an investigation task (a problem with open tasks cannot be resolved)."""
        problem = self.get_object()
        return respond_idempotently(request, lambda: self._add_task(request, problem))

    def _add_task(self, request, problem):
        serializer = s.TaskInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        task = services.problem_task_create(actor=request.user, problem=problem, data=serializer.validated_data)
        task = selectors.problem_task_list(request.user).get(pk=task.pk)
        self._etag_object = task
        return Response(s.ProblemTaskSerializer(task).data, status=status.HTTP_201_CREATED)

