"""Incident API: incidents (with workflow, journal, assignment, major incidents, attachments,
children), monitoring alerts, historical import, categories and the priority matrix.

Every write goes through incidents.services (which also decide what a requester may do);
every read through incidents.selectors (a requester sees only the incidents they called in).
"""

import io

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from config_items.models import ConfigurationItem
from itsm.api.errors import error_response
from itsm.api.mixins import respond_idempotently
from itsm.api.parsers import StrictJSONParser
from itsm.api.schema import IDEMPOTENCY_PARAMETER, IF_MATCH_PARAMETER
from itsm.api.serializers import JournalEntrySerializer
from itsm.api.viewsets import ServiceModelViewSet, WorkflowActionsMixin
from itsm.attachments import attachment_response
from itsm.models import Attachment
from itsm.permissions import ADMIN_ROLES, ALL_ROLES, STAFF_ROLES

from .. import importing, selectors, services
from ..choices import Priority
from ..filtersets import IncidentFilterSet
from ..models import Incident
from ..workflow import CALLERS, INCIDENT_WORKERS
from . import serializers as s

# What a requester may do through the API besides reading their own incidents; the services
# refuse the rest of it (fields a requester may not set, work notes, steps of the service desk).
WORKERS_AND_CALLERS = (*INCIDENT_WORKERS, *CALLERS)
ACTION_WRITE_ROLES = {
    "create": WORKERS_AND_CALLERS,
    "transition": WORKERS_AND_CALLERS,
    "comments": WORKERS_AND_CALLERS,
    "attachments": WORKERS_AND_CALLERS,
    "import_file": ADMIN_ROLES,
}
DRY_RUN_PARAMETER = OpenApiParameter("dry_run", bool, required=False,
                                     description="Check every row and write nothing.")


class IncidentViewSet(WorkflowActionsMixin, ServiceModelViewSet):
    """Incidents. Requesters see and act on only the incidents they called in; another's is 404."""

    serializer_class = s.IncidentDetailSerializer
    input_serializer_class = s.IncidentInputSerializer
    filterset_class = IncidentFilterSet
    # time_to_breach: the due instant of the live resolution timer, soonest first; incidents
    # without a live timer last in either direction.
    ordering_fields = ["number", "opened_at", "priority", "state", "updated_at", "id", "time_to_breach"]
    ordering = ["-opened_at"]
    lookup_value_regex = "[0-9]+"

    @property
    def read_roles(self):
        # SLA timers are the service desk's (staff); requesters read their incidents only.
        if getattr(self, "action", None) == "timers":
            return STAFF_ROLES
        return ALL_ROLES

    @property
    def write_roles(self):
        if getattr(self, "action", None) is not None:
            return ACTION_WRITE_ROLES.get(self.action, INCIDENT_WORKERS)
        # A method this URL lacks (405 once permitted): whoever may use the URL at all.
        roles = set()
        for name in getattr(self, "action_map", {}).values():
            roles.update(ACTION_WRITE_ROLES.get(name, INCIDENT_WORKERS))
        return tuple(roles) or INCIDENT_WORKERS

    def get_queryset(self):
        queryset = selectors.with_details(selectors.incident_list(self.request.user)).prefetch_related(
            Prefetch("cis", queryset=ConfigurationItem.objects.only("id"), to_attr="ci_list"))
        if self._breach_ordering() is not None:
            queryset = selectors.with_time_to_breach(queryset).annotate(time_to_breach=F("sla_due_at"))
        return queryset

    def _breach_ordering(self) -> bool | None:
        """True/False (descending or not) when ?ordering= starts with time_to_breach, else None."""
        request = getattr(self, "request", None)
        first = ((request.query_params.get("ordering") if request else "") or "").split(",")[0].strip()
        return first.startswith("-") if first.lstrip("-") == "time_to_breach" else None

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        descending = self._breach_ordering()
        if descending is None or getattr(self, "action", None) != "list":
            return queryset
        return queryset.order_by(*selectors.time_to_breach_order(descending=descending))

    def get_serializer_class(self):
        if getattr(self, "action", None) == "list":
            return s.IncidentSerializer
        if getattr(self, "action", None) == "create":
            return s.IncidentCreateInputSerializer
        return super().get_serializer_class()

    def fresh(self, incident):
        """The incident re-read through the selector (relations and CIs as the list shows them)."""
        return self.get_queryset().get(pk=incident.pk)

    # --- create and update ---------------------------------------------------------------------

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER], request=s.IncidentCreateInputSerializer,
                   responses={201: s.IncidentDetailSerializer})
    def create(self, request, *args, **kwargs):
        return respond_idempotently(request, lambda: self._create(request))

    def _create(self, request):
        serializer = s.IncidentCreateInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        incident = services.incident_create(actor=request.user, data=serializer.validated_data)
        self._etag_object = incident = self._as_created(incident, serializer.validated_data.get("cis"))
        return self.output(incident, status.HTTP_201_CREATED)

    @staticmethod
    def _as_created(incident, cis):
        """The new incident as `fresh` would read it, without reading it again. Nothing changes
        it between the service's INSERT and this answer, and every relation the output shows is
        already loaded: the input serializer turned the ids into objects and the service read
        the customer and the CI type it checked. The CIs are the ones just set, given to the
        output as the list selector's prefetch gives them (ids only are shown). A requester can
        read the incident they report (they are its caller), so the selector's gate holds."""
        incident.ci_list = list(cis or ())  # where the list's Prefetch(to_attr="ci_list") puts them
        return incident

    def perform_service_update(self, obj, data, expected_version):
        incident = services.incident_update(actor=self.request.user, incident=obj, data=data,
                                            expected_version=expected_version)
        return self.fresh(incident)

    # --- workflow and journal ------------------------------------------------------------------

    def perform_transition(self, record, *, transition, data, reason, expected_version):
        incident = services.incident_transition(actor=self.request.user, incident=record, name=transition,
                                                data=data, reason=reason, expected_version=expected_version)
        return self.fresh(incident)

    def perform_comment(self, record, *, body, internal):
        return services.incident_comment(actor=self.request.user, incident=record, body=body, internal=internal)

    def _optional_version(self, request, incident):
        return self.expected_version(request, incident) if self._has_precondition(request) else None

    # --- assignment ----------------------------------------------------------------------------

    @extend_schema(request=s.AssignInputSerializer, parameters=[IF_MATCH_PARAMETER],
                   responses=s.IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Assign to a group and, optionally, one of its members (`assignee: null` leaves it to the group)."""
        incident = self.get_object()
        expected = self._optional_version(request, incident)
        serializer = s.AssignInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        incident = services.incident_assign(actor=request.user, incident=incident, group=data["assignment_group"],
                                            assignee=data.get("assignee"), expected_version=expected,
                                            reason=data["reason"])
        self._etag_object = incident = self.fresh(incident)
        return self.output(incident)

    @extend_schema(request=s.AssignToMeInputSerializer, parameters=[IF_MATCH_PARAMETER],
                   responses=s.IncidentDetailSerializer)
    @action(detail=True, methods=["post"], url_path="assign-to-me", url_name="assign-to-me")
    def assign_to_me(self, request, pk=None):
        """Take the incident: its group if you belong to it, else your first team."""
        incident = self.get_object()
        expected = self._optional_version(request, incident)
        s.AssignToMeInputSerializer(data=request.data).is_valid(raise_exception=True)
        incident = services.incident_assign_to_me(actor=request.user, incident=incident, expected_version=expected)
        self._etag_object = incident = self.fresh(incident)
        return self.output(incident)

    # --- major incidents -----------------------------------------------------------------------

    @extend_schema(request=s.MajorInputSerializer, parameters=[IF_MATCH_PARAMETER],
                   responses=s.IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def major(self, request, pk=None):
        """Declare a major incident (notifies the team leads)."""
        return self._major(request, services.incident_promote_major)

    @extend_schema(request=s.MajorInputSerializer, parameters=[IF_MATCH_PARAMETER],
                   responses=s.IncidentDetailSerializer)
    @action(detail=True, methods=["post"], url_path="major/end", url_name="major-end")
    def major_end(self, request, pk=None):
        """End the major-incident status."""
        return self._major(request, services.incident_demote_major)

    def _major(self, request, service):
        incident = self.get_object()
        expected = self._optional_version(request, incident)
        serializer = s.MajorInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = service(actor=request.user, incident=incident, reason=serializer.validated_data["reason"],
                           expected_version=expected)
        self._etag_object = incident = self.fresh(incident)
        return self.output(incident)

    @extend_schema(request=s.CommunicationInputSerializer, responses={201: JournalEntrySerializer})
    @action(detail=True, methods=["post"])
    def communications(self, request, pk=None):
        """A status update to the stakeholders of a major incident (a public journal entry)."""
        incident = self.get_object()
        serializer = s.CommunicationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.incident_communicate(actor=request.user, incident=incident, **serializer.validated_data)
        return Response(JournalEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    # --- attachments and children --------------------------------------------------------------

    @extend_schema(methods=["GET"], request=None, responses=s.AttachmentSerializer(many=True))
    @extend_schema(methods=["POST"], request={"multipart/form-data": s.AttachmentInputSerializer},
                   responses={201: s.AttachmentSerializer})
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request, pk=None):
        """The incident's files (GET), or attach one (POST multipart, field `file`)."""
        incident = self.get_object()
        if request.method == "GET":
            attachments = selectors.incident_attachments(incident)
            return Response(s.AttachmentSerializer(attachments, many=True).data)
        serializer = s.AttachmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attachment = services.incident_attach(actor=request.user, incident=incident,
                                              upload=serializer.validated_data["file"])
        return Response(s.AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.IncidentBriefSerializer(many=True))
    @action(detail=True, methods=["get"])
    def children(self, request, pk=None):
        """The child incidents (resolved with this one)."""
        incident = self.get_object()
        return Response(s.IncidentBriefSerializer(selectors.children_of(incident), many=True).data)

    @extend_schema(responses=s.IncidentTimerSerializer(many=True))
    @action(detail=True, methods=["get"])
    def timers(self, request, pk=None):
        """The incident's SLA timers as of now — the customer's (response, resolution), then each
        assignment group's operational level timers, every cycle of each — each with its
        explanation: which cycle and whose clock, events in order (instant, cause, elapsed) and
        the calendar segments counted while the clock ran. Staff only."""
        incident = self.get_object()
        context = {**self.get_serializer_context(), "now": timezone.now()}
        return Response(s.IncidentTimerSerializer(selectors.timers_of(incident), many=True, context=context).data)

    # --- monitoring and import -----------------------------------------------------------------

    @extend_schema(request=s.AlertInputSerializer,
                   responses={201: s.AlertResultSerializer, 200: s.AlertResultSerializer})
    @action(detail=False, methods=["post"])
    def alerts(self, request):
        """A monitoring alert: 201 with a new incident, or 200 with the open incident of the same
        `correlation_key` (`created: false`; the alert is added to its timeline)."""
        serializer = s.AlertInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        outcome = services.incident_report_alert(actor=request.user, correlation_key=data.pop("correlation_key"),
                                                 data=data)
        incident = self.fresh(outcome.incident)
        self._etag_object = incident
        context = {**self.get_serializer_context(), "created": outcome.created}
        return Response(s.AlertResultSerializer(incident, context=context).data,
                        status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK)

    @extend_schema(
        parameters=[DRY_RUN_PARAMETER],
        request={"application/json": {"type": "array", "items": {"type": "object"}},
                 "multipart/form-data": s.ImportFileInputSerializer},
        responses={201: s.ImportResultSerializer, 200: s.ImportResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="import", url_name="import",
            parser_classes=[StrictJSONParser, MultiPartParser, FormParser])
    def import_file(self, request):
        """Historical import (administrators): a JSON list of rows, or a CSV/JSON file. 201 with the
        numbers given; 200 for a dry run; 400 with line-numbered errors, and nothing written."""
        query = s.ImportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        dry_run = query.validated_data["dry_run"]
        if isinstance(request.data, list):
            rows, lines = importing.rows_from_list(request.data)
            source = "API"
        else:
            form = s.ImportFileInputSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            upload = form.validated_data["file"]
            dry_run = dry_run or form.validated_data["dry_run"]
            rows, lines = _rows_of_upload(upload)
            source = f"API upload {upload.name}"
        result = importing.import_incidents(actor=request.user, rows=rows, lines=lines, dry_run=dry_run,
                                            source=source)
        if result.errors:
            fields = {f"line {e.line}": e.errors for e in result.errors}
            return error_response(400, "invalid", _("%(count)s rows were refused; nothing was imported.")
                                  % {"count": len(result.errors)}, fields)
        return Response(result.as_dict(), status=status.HTTP_200_OK if dry_run else status.HTTP_201_CREATED)


def _rows_of_upload(upload):
    try:
        if upload.name.lower().endswith(".json"):
            return importing.rows_from_json(upload.read().decode("utf-8-sig"))
        return importing.rows_from_csv(io.TextIOWrapper(upload.file, encoding="utf-8-sig", newline=""))
    except UnicodeDecodeError:
        raise ApiValidationError({"file": [_("The file is not UTF-8 text.")]}) from None


class IncidentAttachmentViewSet(viewsets.GenericViewSet):
    """Downloads: the file of an attachment whose incident the caller may see (else 404)."""

    read_roles = ALL_ROLES
    write_roles = ()
    queryset = Attachment.objects.none()
    serializer_class = s.AttachmentSerializer
    lookup_value_regex = "[0-9]+"
    filter_backends = []

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The file, as an attachment (never shown inline)."""
        attachment = Attachment.objects.filter(
            pk=pk, content_type=ContentType.objects.get_for_model(Incident)).first()
        if attachment is None:
            raise Http404
        selectors.incident_get_for_user(request.user, attachment.object_id, details=False)  # the one gate
        return attachment_response(attachment)


class CategoryViewSet(ServiceModelViewSet):
    """Categories and subcategories (a category with a parent). Staff read; administrators write."""

    serializer_class = s.CategorySerializer
    input_serializer_class = s.CategoryInputSerializer
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES
    filterset_fields = ["parent", "is_active"]
    ordering_fields = ["name", "id"]
    ordering = ["name"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.category_list(self.request.user)

    def expected_version(self, request, obj):
        return None  # categories carry no version: names only

    def perform_service_create(self, data):
        return services.category_create(actor=self.request.user, **data)

    def perform_service_update(self, obj, data, expected_version):
        return services.category_update(actor=self.request.user, category=obj, data=data)


class AssignmentRuleViewSet(ServiceModelViewSet):
    """Assignment rules: the group an incident logged without one goes to (incidents.assignment).
    Staff read; administrators write. Deactivate a rule with `is_active: false` (no delete)."""

    serializer_class = s.AssignmentRuleSerializer
    input_serializer_class = s.AssignmentRuleInputSerializer
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES
    filterset_fields = ["service", "category", "assignment_group", "is_active"]
    ordering_fields = ["order", "name", "id"]
    ordering = ["order", "name", "id"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.assignment_rule_list(self.request.user)

    def perform_service_create(self, data):
        return services.assignment_rule_create(actor=self.request.user, data=data)

    def perform_service_update(self, obj, data, expected_version):
        return services.assignment_rule_update(actor=self.request.user, rule=obj, data=data,
                                               expected_version=expected_version)


class PriorityMatrixViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The impact × urgency matrix: GET every cell; POST one cell (administrators)."""

    serializer_class = s.PriorityRuleSerializer
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return Incident.objects.none()  # the cells come from selectors.priority_matrix()

    def list(self, request, *args, **kwargs):
        cells = [_cell(impact, urgency, priority)
                 for (impact, urgency), priority in sorted(selectors.priority_matrix().items())]
        return Response(s.PriorityRuleSerializer(cells, many=True).data)

    @extend_schema(request=s.PriorityRuleInputSerializer, responses={200: s.PriorityRuleSerializer},
                   description="Sets one cell (an update of the matrix, not a creation): 200 with the cell.")
    def create(self, request, *args, **kwargs):
        serializer = s.PriorityRuleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        impact, urgency, priority = (serializer.validated_data[k] for k in ("impact", "urgency", "priority"))
        services.priority_matrix_update(actor=request.user, cells={(impact, urgency): priority})
        return Response(s.PriorityRuleSerializer(_cell(impact, urgency, priority)).data)


def _cell(impact, urgency, priority) -> dict:
    return {"impact": impact, "urgency": urgency, "priority": priority,
            "priority_label": str(Priority(priority).label)}


router = SimpleRouter()
# Fixed prefixes first: the incidents themselves sit at the root of /api/v1/incidents/.
router.register("categories", CategoryViewSet, basename="category")
router.register("priority-matrix", PriorityMatrixViewSet, basename="priority-matrix")
router.register("assignment-rules", AssignmentRuleViewSet, basename="assignment-rule")
router.register("attachments", IncidentAttachmentViewSet, basename="incident-attachment")
router.register("", IncidentViewSet, basename="incident")

urlpatterns = router.urls
