"""Change API of the records slice, at the root of /api/v1/changes/: changes with their workflow,
journal and timeline, comments, attachments, and links to the problems they fix and the
incidents they caused; the attachments' download under attachments/.

Every write goes through changes.services (which decide who may take each step: change managers
run the workflow, the implementer starts and completes), every read through changes.selectors
(staff read changes, auditors and read-only tokens included; requesters get 403).
"""

from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from itsm.api.schema import IF_MATCH_PARAMETER, paginated
from itsm.api.serializers import TransitionSerializer
from itsm.api.viewsets import ServiceModelViewSet, WorkflowActionsMixin
from itsm.attachments import attachment_response
from itsm.models import Attachment
from itsm.permissions import STAFF_ROLES
from itsm.timeline import record_timeline

from .. import selectors
from ..choices import ChangeState
from ..filtersets import ChangeFilterSet
from ..models import Change
from ..services import records as services
from ..services.states import change_transition
from ..workflow import CHANGE_WORKERS
from . import serializers as s

urlpatterns = []
HISTORY_HIDDEN_FIELDS = ("version", "updated_at", "updated_by", "created_at", "created_by", "services", "cis",
                         "impacted_services", "problems", "caused_incidents")


def register(router) -> None:
    """The attachments' download first: the changes themselves sit at the root (`<id>/`)."""
    router.register("attachments", ChangeAttachmentViewSet, basename="change-attachment")
    router.register("", ChangeViewSet, basename="change")


def timeline_item(item) -> dict:
    """A record_timeline item as the API answers it."""
    journal = item["type"] == "journal"
    entry = item.get("entry")
    row = item.get("row")
    return {
        "type": item["type"], "kind": item["kind"], "label": str(item["label"]), "when": item["when"],
        "who": item["who"], "body": entry.body if journal else "", "is_public": entry.is_public if journal else False,
        "state_from": item.get("state_from") and str(item["state_from"]),
        "state_to": item.get("state_to") and str(item["state_to"]),
        "reason": "" if journal else (row["record"].history_change_reason or ""),
        "changes": [] if journal else [{"field": str(c["field"]), "old": c["old"], "new": c["new"]}
                                       for c in row["changes"]],
    }


class ChangeViewSet(WorkflowActionsMixin, ServiceModelViewSet):
    """Change requests. Staff read (auditors and read-only tokens included); change workers raise,
    edit, comment, attach and link; the services refuse the steps that are the change managers' or
    the implementer's. Requesters get 403."""

    serializer_class = s.ChangeDetailSerializer
    input_serializer_class = s.ChangeInputSerializer
    filterset_class = ChangeFilterSet
    ordering_fields = ["number", "opened_at", "updated_at", "planned_start", "state", "risk", "change_model", "id"]
    ordering = ["-opened_at"]
    lookup_value_regex = "[0-9]+"
    read_roles = STAFF_ROLES
    write_roles = CHANGE_WORKERS

    def get_queryset(self):
        return selectors.with_details(selectors.change_list(self.request.user))

    def get_serializer_class(self):
        if getattr(self, "action", None) == "list":
            return s.ChangeSerializer
        return super().get_serializer_class()

    def answer(self, change, status_code=status.HTTP_200_OK):
        """The change re-read through the selector, as a GET answers it."""
        self._etag_object = change = self.get_queryset().get(pk=change.pk)
        return self.output(change, status_code)

    # --- create, update ------------------------------------------------------------------------

    def perform_service_create(self, data):
        change = services.change_create(actor=self.request.user, data=dict(data))
        return self.get_queryset().get(pk=change.pk)

    def perform_service_update(self, obj, data, expected_version):
        change = services.change_update(actor=self.request.user, change=obj, data=dict(data),
                                        expected_version=expected_version)
        return self.get_queryset().get(pk=change.pk)

    # --- workflow, journal, timeline -----------------------------------------------------------

    @extend_schema(responses=TransitionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def transitions(self, request, pk=None):
        """The steps the caller may take now (starting and completing: the implementer's or a change
        manager's), with the fields each asks for."""
        change = self.get_object()
        return Response([{"name": t.name, "label": str(t.label), "target": t.target, "fields": list(t.fields)}
                         for t in selectors.available_steps(change, request.user)])

    @extend_schema(request=s.ChangeTransitionInputSerializer, parameters=[IF_MATCH_PARAMETER],
                   responses=s.ChangeDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Take a workflow step (see transitions/) with the fields it asks for in `data`;
        `override_reason` when scheduling despite conflicts that may be overridden. A guard that
        fails is a 400 naming the fields; a step not allowed from the state a 409."""
        change = self.get_object()
        expected = self.expected_version(request, change) if self._has_precondition(request) else None
        serializer = s.ChangeTransitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        change = change_transition(actor=request.user, change=change, name=data["transition"],
                                   data=dict(data["data"]), reason=data["reason"], expected_version=expected,
                                   override_reason=data["override_reason"].strip())
        return self.answer(change)

    def perform_comment(self, record, *, body, internal):
        return services.change_comment(actor=self.request.user, change=record, body=body, internal=internal)

    @extend_schema(responses=s.ChangeTimelineItemSerializer(many=True))
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        """Journal entries and field changes merged, newest first (what the change page shows)."""
        change = self.get_object()
        items = record_timeline(change, request.user, states=dict(ChangeState.choices),
                                hidden_fields=HISTORY_HIDDEN_FIELDS)
        return Response(s.ChangeTimelineItemSerializer([timeline_item(item) for item in items], many=True).data)

    # --- attachments ---------------------------------------------------------------------------

    @extend_schema(methods=["GET"], request=None, responses=s.ChangeAttachmentSerializer(many=True))
    @extend_schema(methods=["POST"], request={"multipart/form-data": s.ChangeAttachmentInputSerializer},
                   responses={201: s.ChangeAttachmentSerializer})
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request, pk=None):
        """The change's files (GET), or attach one (POST multipart, field `file`)."""
        change = self.get_object()
        if request.method == "GET":
            return Response(s.ChangeAttachmentSerializer(selectors.change_attachments(change), many=True).data)
        serializer = s.ChangeAttachmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attachment = services.change_attach(actor=request.user, change=change,
                                            upload=serializer.validated_data["file"])
        return Response(s.ChangeAttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    # --- links ---------------------------------------------------------------------------------

    @extend_schema(responses=s.ChangeLinkedProblemSerializer(many=True))
    @action(detail=True, methods=["get"])
    @paginated
    def problems(self, request, pk=None):
        """The problems the change fixes."""
        change = self.get_object()
        page = self.paginate_queryset(change.problems.order_by("-opened_at", "-id"))
        return self.get_paginated_response(s.ChangeLinkedProblemSerializer(page, many=True).data)

    @extend_schema(request=s.LinkProblemsInputSerializer, responses={201: s.ChangeLinkedProblemSerializer(many=True)})
    @problems.mapping.post
    def link_problems(self, request, pk=None):
        """Link problems the change fixes (refused on a closed or cancelled change). 201 with the
        problems newly linked (none when all were linked already)."""
        change = self.get_object()
        serializer = s.LinkProblemsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        linked = services.change_link_problems(actor=request.user, change=change,
                                               problems=serializer.validated_data["problems"])
        return Response(s.ChangeLinkedProblemSerializer(linked, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.UnlinkProblemInputSerializer, responses={204: None})
    @action(detail=True, methods=["post"], url_path="problems/unlink", url_name="unlink-problem")
    def unlink_problem(self, request, pk=None):
        change = self.get_object()
        serializer = s.UnlinkProblemInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.change_unlink_problem(actor=request.user, change=change,
                                       problem=serializer.validated_data["problem"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=s.ChangeLinkedIncidentSerializer(many=True))
    @action(detail=True, methods=["get"])
    @paginated
    def incidents(self, request, pk=None):
        """The incidents the change caused."""
        change = self.get_object()
        page = self.paginate_queryset(change.caused_incidents.order_by("-opened_at", "-id"))
        return self.get_paginated_response(s.ChangeLinkedIncidentSerializer(page, many=True).data)

    @extend_schema(request=s.LinkIncidentsInputSerializer, responses={201: s.ChangeLinkedIncidentSerializer(many=True)})
    @incidents.mapping.post
    def link_incidents(self, request, pk=None):
        """Link incidents the change caused (in any state: they come to light afterwards). 201 with
        the incidents newly linked."""
        change = self.get_object()
        serializer = s.LinkIncidentsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        linked = services.change_link_incidents(actor=request.user, change=change,
                                                incidents=serializer.validated_data["incidents"])
        return Response(s.ChangeLinkedIncidentSerializer(linked, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.UnlinkIncidentInputSerializer, responses={204: None})
    @action(detail=True, methods=["post"], url_path="incidents/unlink", url_name="unlink-incident")
    def unlink_incident(self, request, pk=None):
        change = self.get_object()
        serializer = s.UnlinkIncidentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.change_unlink_incident(actor=request.user, change=change,
                                        incident=serializer.validated_data["incident"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChangeAttachmentViewSet(viewsets.GenericViewSet):
    """Downloads: the file of an attachment whose change the caller may read (else 404)."""

    read_roles = STAFF_ROLES
    write_roles = ()
    queryset = Attachment.objects.none()
    serializer_class = s.ChangeAttachmentSerializer
    lookup_value_regex = "[0-9]+"
    filter_backends = []

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The file, as an attachment (never shown inline)."""
        attachment = Attachment.objects.filter(pk=pk, content_type=ContentType.objects.get_for_model(Change)).first()
        if attachment is None:
            raise Http404
        selectors.change_get_for_user(request.user, attachment.object_id)  # the one gate
        return attachment_response(attachment)
