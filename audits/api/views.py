"""The trail's API: read-only, for auditors and administrators (and their read-only tokens)."""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from itsm.api.mixins import respond_idempotently
from itsm.api.schema import IDEMPOTENCY_PARAMETER

from .. import bundles, sampling, selectors
from ..filtersets import AuditEntryFilterSet
from ..selectors import AUDIT_READERS
from . import serializers as s


class TrailViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The audit trail, newest first, with the filters of the trail page."""

    serializer_class = s.AuditEntrySerializer
    filterset_class = AuditEntryFilterSet
    read_roles = AUDIT_READERS
    ordering_fields = ["occurred_at", "id"]
    ordering = ["-occurred_at", "-id"]

    def get_queryset(self):
        return selectors.entry_list(self.request.user)


class VerificationView(APIView):
    """The latest verification of the chain and the latest anchors (verify with
    `manage.py verify_audit_trail` or the audit page)."""

    read_roles = AUDIT_READERS

    @extend_schema(responses=s.VerificationStatusSerializer)
    def get(self, request):
        data = {"latest": selectors.latest_verification(request.user),
                "anchors": list(selectors.anchor_list(request.user))}
        return Response(s.VerificationStatusSerializer(data).data)


class EvidenceBundleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Evidence bundles: ask for one (built by a worker; poll its `state` and `progress`), read
    its status, download its ZIP when `state` is ready. Asking and downloading are reads put on
    record: auditors and their read-only tokens may."""

    serializer_class = s.EvidenceBundleSerializer
    read_roles = AUDIT_READERS
    query_actions = ("create",)  # asks for evidence, changes nothing recorded
    ordering_fields = ["requested_at", "id"]
    ordering = ["-requested_at", "-id"]

    def get_queryset(self):
        return selectors.bundle_list(self.request.user)

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER], request=s.EvidenceBundleInputSerializer,
                   responses={201: s.EvidenceBundleSerializer})
    def create(self, request, *args, **kwargs):
        return respond_idempotently(request, lambda: self._create(request))

    def _create(self, request):
        data = s.EvidenceBundleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        bundle = bundles.bundle_request(actor=request.user, **data.validated_data)
        output = s.EvidenceBundleSerializer(bundle, context=self.get_serializer_context())
        location = reverse("api:audits:evidence-detail", args=[bundle.pk], request=request)
        return Response(output.data, status=status.HTTP_201_CREATED, headers={"Location": location})

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The bundle's ZIP (409 until it is ready); the download is put on the trail."""
        bundle = self.get_object()
        stream = bundles.bundle_download(actor=request.user, bundle=bundle)
        return FileResponse(stream, as_attachment=True, filename=bundle.file_name, content_type="application/zip")


class SampleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reproducible samples: draw one (N records of a type from a period, with filters, by a
    seed: the same seed draws the same sample), read the frozen ones with their items. Drawing is
    a read put on record: auditors and their read-only tokens may."""

    serializer_class = s.SampleSerializer
    read_roles = AUDIT_READERS
    query_actions = ("create",)  # draws from what exists, changes nothing recorded
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.sample_list_with_items(self.request.user)

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER], request=s.SampleInputSerializer,
                   responses={201: s.SampleSerializer})
    def create(self, request, *args, **kwargs):
        return respond_idempotently(request, lambda: self._create(request))

    def _create(self, request):
        data = s.SampleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        sample = sampling.sample_draw(actor=request.user, source_key=values.pop("source"), **values)
        sample = self.get_queryset().get(pk=sample.pk)
        output = s.SampleSerializer(sample, context=self.get_serializer_context())
        location = reverse("api:audits:sample-detail", args=[sample.pk], request=request)
        return Response(output.data, status=status.HTTP_201_CREATED, headers={"Location": location})
