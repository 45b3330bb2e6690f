"""The trail's API: read-only, for auditors and administrators (and their read-only tokens)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors
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
