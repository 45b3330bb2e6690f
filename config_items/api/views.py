"""CMDB API: types, CIs (with upsert, impact, import, export), relationships, baselines.

Every write goes through config_items.services; every read through config_items.selectors.
"""

import io

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from itsm.api.mixins import respond_idempotently
from itsm.api.schema import IDEMPOTENCY_PARAMETER
from itsm.api.viewsets import ServiceModelViewSet, WorkflowActionsMixin
from itsm.exports import Column, csv_response
from itsm.permissions import ADMIN_ROLES, STAFF_ROLES

from .. import importing, selectors, services
from ..filtersets import CIFilterSet, RelationshipFilterSet
from ..workflow import CMDB_WRITERS
from . import serializers as s

CI_EXPORT_COLUMNS = [
    Column("number", "number"), Column("name", "name"), Column("type", "ci_type.slug"),
    Column("status", "status"), Column("environment", "environment"), Column("owner_team", "owner_team.name"),
    Column("customers", lambda ci: ";".join(c.code for c in ci.customers.all())),
    Column("source", "source"), Column("external_id", "external_id"), Column("description", "description"),
    Column("catalogue_status", "catalogue_status"), Column("hours_of_service", "hours_of_service"),
    Column("attributes", lambda ci: ";".join(f"{k}={v}" for k, v in sorted(ci.attributes.items()))),
    Column("updated_at", "updated_at"),
]
RELATIONSHIP_EXPORT_COLUMNS = [
    Column("source", "source.number"), Column("type", "type.slug"), Column("target", "target.number"),
    Column("source_name", "source.name"), Column("target_name", "target.name"), Column("created_at", "created_at"),
]
CSV_RESPONSE = {(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV of the filtered list.")}
IMPORT_REQUEST = {"multipart/form-data": s.ImportInputSerializer}


def _import_response(request, import_function):
    serializer = s.ImportInputSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    upload = serializer.validated_data["file"]
    try:
        text = io.TextIOWrapper(upload.file, encoding="utf-8-sig", newline="")
        report = import_function(actor=request.user, file=text, dry_run=serializer.validated_data["dry_run"],
                                 atomic=serializer.validated_data["atomic"])
    except UnicodeDecodeError:
        raise ApiValidationError({"file": [_("The file is not UTF-8 text.")]}) from None
    return Response(report.as_dict())


class CITypeViewSet(ServiceModelViewSet):
    serializer_class = s.CITypeSerializer
    input_serializer_class = s.CITypeInputSerializer
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES
    filterset_fields = ["is_service", "is_active", "slug"]
    ordering_fields = ["name", "slug", "id"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.ci_type_list(self.request.user)

    def perform_service_create(self, data):
        return services.ci_type_create(actor=self.request.user, data=data)

    def perform_service_update(self, obj, data, expected_version):
        return services.ci_type_update(actor=self.request.user, ci_type=obj, data=data,
                                       expected_version=expected_version)


class RelationshipTypeViewSet(ServiceModelViewSet):
    """Relationship types carry no version (labels only): updates need no If-Match."""

    serializer_class = s.RelationshipTypeSerializer
    input_serializer_class = s.RelationshipTypeInputSerializer
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES
    filterset_fields = ["is_active", "slug"]
    ordering_fields = ["forward_label", "slug", "id"]
    ordering = ["forward_label"]

    def get_queryset(self):
        return selectors.relationship_type_list(self.request.user)

    def expected_version(self, request, obj):
        return None

    def perform_service_create(self, data):
        return services.relationship_type_create(actor=self.request.user, data=data)

    def perform_service_update(self, obj, data, expected_version):
        return services.relationship_type_update(actor=self.request.user, relationship_type=obj, data=data)


class CIViewSet(WorkflowActionsMixin, ServiceModelViewSet):
    serializer_class = s.CISerializer
    input_serializer_class = s.CIInputSerializer
    filterset_class = CIFilterSet
    read_roles = STAFF_ROLES
    write_roles = CMDB_WRITERS
    ordering_fields = ["number", "name", "status", "environment", "created_at", "updated_at", "id"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.ci_list(self.request.user)

    def perform_service_create(self, data):
        return services.ci_create(actor=self.request.user, data=data)

    def perform_service_update(self, obj, data, expected_version):
        return services.ci_update(actor=self.request.user, ci=obj, data=data, expected_version=expected_version)

    @extend_schema(request=s.CIUpsertInputSerializer, responses={200: s.CISerializer, 201: s.CISerializer})
    @action(detail=False, methods=["post"], url_path="upsert", url_name="upsert")
    def upsert(self, request):
        """Create or update the CI a discovery tool knows by (source, external_id): 201 when
        created, 200 when updated (or unchanged). Safe to repeat and to run concurrently."""
        serializer = s.CIUpsertInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        ci, created = services.ci_upsert(actor=request.user, source=data.pop("source"),
                                         external_id=data.pop("external_id"), data=data)
        ci = selectors.ci_get_for_user(request.user, ci.pk)
        self._etag_object = ci
        return self.output(ci, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(parameters=[s.ImpactQuerySerializer], responses=s.ImpactSerializer)
    @action(detail=True, methods=["get"], url_path="impact", url_name="impact")
    def impact(self, request, pk=None):
        """The CIs that depend on this one (`upstream`: what breaks if it fails) or that it
        depends on (`downstream`), up to `depth` steps, with the paths and the links among them."""
        query = s.ImpactQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        ci = selectors.ci_get_for_user(request.user, pk)
        result = selectors.impact(ci, direction=query.validated_data["direction"],
                                  depth=query.validated_data["depth"])
        return Response(s.ImpactSerializer(result).data)

    @extend_schema(request=IMPORT_REQUEST, responses=s.ImportReportSerializer)
    @action(detail=False, methods=["post"], url_path="import", url_name="import",
            parser_classes=[MultiPartParser, FormParser])
    def import_file(self, request):
        """Import CIs from a CSV file (columns in the documentation); the report lists every row."""
        return _import_response(request, importing.import_cis)

    @extend_schema(responses=CSV_RESPONSE, filters=True)
    @action(detail=False, methods=["get"], url_path="export", url_name="export")
    def export(self, request):
        """Every CI of the current filter as CSV."""
        return csv_response(self.filter_queryset(self.get_queryset()), CI_EXPORT_COLUMNS, "configuration-items.csv")


class RelationshipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin,
                          viewsets.GenericViewSet):
    """Relationships are created and deleted, never edited: to change one, delete it and add another."""

    serializer_class = s.RelationshipSerializer
    filterset_class = RelationshipFilterSet
    read_roles = STAFF_ROLES
    write_roles = CMDB_WRITERS
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at"]

    def get_queryset(self):
        return selectors.relationship_list(self.request.user)

    def get_serializer_class(self):
        return s.RelationshipInputSerializer if self.action == "create" else s.RelationshipSerializer

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER], request=s.RelationshipInputSerializer,
                   responses={201: s.RelationshipSerializer})
    def create(self, request, *args, **kwargs):
        return respond_idempotently(request, lambda: self._create(request))

    def _create(self, request):
        serializer = s.RelationshipInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        relationship = services.relationship_create(actor=request.user, **serializer.validated_data)
        relationship = get_object_or_404(self.get_queryset(), pk=relationship.pk)
        return Response(s.RelationshipSerializer(relationship).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.relationship_delete(actor=self.request.user, relationship=instance)

    @extend_schema(request=IMPORT_REQUEST, responses=s.ImportReportSerializer)
    @action(detail=False, methods=["post"], url_path="import", url_name="import",
            parser_classes=[MultiPartParser, FormParser])
    def import_file(self, request):
        """Import relationships from a CSV file with the columns source, type, target."""
        return _import_response(request, importing.import_relationships)

    @extend_schema(responses=CSV_RESPONSE, filters=True)
    @action(detail=False, methods=["get"], url_path="export", url_name="export")
    def export(self, request):
        """Every relationship of the current filter as CSV."""
        return csv_response(self.filter_queryset(self.get_queryset()), RELATIONSHIP_EXPORT_COLUMNS,
                            "relationships.csv")


class BaselineViewSet(ServiceModelViewSet):
    """Baselines are taken and read, never changed."""

    serializer_class = s.BaselineSerializer
    input_serializer_class = s.BaselineInputSerializer
    read_roles = STAFF_ROLES
    write_roles = CMDB_WRITERS
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["root"]
    ordering_fields = ["created_at", "number", "id"]
    ordering = ["-created_at"]

    def get_queryset(self):
        return selectors.baseline_list(self.request.user)

    def get_serializer_class(self):
        if getattr(self, "action", None) == "retrieve":
            return s.BaselineDetailSerializer
        return super().get_serializer_class()

    def perform_service_create(self, data):
        return services.baseline_create(actor=self.request.user, **data)

    @extend_schema(
        parameters=[OpenApiParameter("against", str, required=True,
                                     description="Another baseline's id, or `today` for the current state.")],
        responses=s.BaselineDiffSerializer,
    )
    @action(detail=True, methods=["get"], url_path="diff", url_name="diff")
    def diff(self, request, pk=None):
        """What changed from this baseline to another one (`against=<id>`) or to now (`against=today`)."""
        query = s.BaselineDiffQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        baseline = selectors.baseline_get_for_user(request.user, pk)
        against = query.validated_data["against"]
        if against == "today":
            newer = selectors.snapshot_of(baseline.root)
        elif against.isdigit():
            newer = selectors.baseline_get_for_user(request.user, int(against)).snapshot
        else:
            raise ApiValidationError({"against": [_("Give a baseline id or “today”.")]})
        return Response({"baseline": baseline.pk, "against": against,
                         **selectors.baseline_diff(baseline.snapshot, newer)})
