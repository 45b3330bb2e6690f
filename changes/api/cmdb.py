"""API of the CMDB side of change management, under /api/v1/changes/:
- proposed-ci-changes/: a change's proposed CI changes (?change=<id>); change workers propose
  (POST, Idempotency-Key) and withdraw ({id}/withdraw/);
- unauthorised-changes/: the exceptions report (filters as the page's); change managers resolve
  ({id}/resolve/: link a change or accept with a reason);
- exempt-sources/: discovery sources whose updates are not changes; administrators keep them.
Staff read everything (auditors and read-only tokens included); the services decide."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from itsm.api.mixins import respond_idempotently
from itsm.api.schema import IDEMPOTENCY_PARAMETER
from itsm.permissions import ADMIN_ROLES, STAFF_ROLES

from .. import selectors, selectors_cmdb
from ..filtersets_cmdb import UnauthorisedFilterSet
from ..models import ProposedCIChange
from ..services import proposals, unauthorised
from ..workflow import CHANGE_MANAGERS, CHANGE_WORKERS
from . import serializers_cmdb as s

urlpatterns = []


class ProposedCIChangeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Proposed CI changes of changes (applied to the CMDB when the change succeeds)."""

    serializer_class = s.ProposedCIChangeSerializer
    read_roles = STAFF_ROLES
    write_roles = CHANGE_WORKERS
    filterset_fields = {"change": ["exact"]}
    ordering_fields = ["id", "created_at"]
    ordering = ["id"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if not selectors.may_read_changes(self.request.user):
            return ProposedCIChange.objects.none()
        return ProposedCIChange.objects.select_related(
            "change", "ci", "target", "relationship_type", "created_by")

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER], request=s.ProposedCIChangeInputSerializer,
                   responses={201: s.ProposedCIChangeSerializer})
    def create(self, request):
        """Propose a CI change on one of the change's CIs (before its implementation starts)."""
        return respond_idempotently(request, lambda: self._create(request))

    def _create(self, request):
        serializer = s.ProposedCIChangeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        change = selectors.change_get_for_user(request.user, data.pop("change").pk)
        proposal = proposals.proposal_add(actor=request.user, change=change, data=data)
        return Response(s.ProposedCIChangeSerializer(self.get_queryset().get(pk=proposal.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Withdraw a pending proposal (before the change's implementation starts)."""
        proposals.proposal_remove(actor=request.user, proposal=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class UnauthorisedChangeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """CI changes no change covered, newest first; change managers resolve them."""

    serializer_class = s.UnauthorisedChangeSerializer
    read_roles = STAFF_ROLES
    write_roles = CHANGE_MANAGERS
    filterset_class = UnauthorisedFilterSet
    ordering_fields = ["changed_at", "detected_at", "id"]
    ordering = ["-changed_at", "-id"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors_cmdb.unauthorised_list(self.request.user)

    @extend_schema(request=s.ResolveInputSerializer, responses=s.UnauthorisedChangeSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Link the exception to a change (id or number; it must name the CI), or accept it with a reason."""
        exception = self.get_object()
        serializer = s.ResolveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        unauthorised.unauthorised_resolve(actor=request.user, exception=exception, **serializer.validated_data)
        return Response(s.UnauthorisedChangeSerializer(self.get_queryset().get(pk=exception.pk)).data)


class ExemptSourceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Discovery sources whose CMDB updates are not changes. Administrators add, edit (last write
    wins: a short list, no version) and remove them."""

    serializer_class = s.ExemptSourceSerializer
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES
    ordering = ["source"]
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors_cmdb.exempt_source_list(self.request.user)

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER], request=s.ExemptSourceInputSerializer,
                   responses={201: s.ExemptSourceSerializer})
    def create(self, request):
        return respond_idempotently(request, lambda: self._create(request))

    def _create(self, request):
        serializer = s.ExemptSourceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        exempt = unauthorised.exempt_source_create(actor=request.user, data=dict(serializer.validated_data))
        return Response(s.ExemptSourceSerializer(exempt).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ExemptSourceInputSerializer, responses=s.ExemptSourceSerializer)
    def partial_update(self, request, pk=None):
        exempt = self.get_object()
        serializer = s.ExemptSourceInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        exempt = unauthorised.exempt_source_update(actor=request.user, exempt=exempt,
                                                   data=dict(serializer.validated_data))
        return Response(s.ExemptSourceSerializer(exempt).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        unauthorised.exempt_source_delete(actor=request.user, exempt=get_object_or_404(self.get_queryset(), pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router) -> None:
    """Register this slice's viewsets on the changes API router."""
    router.register("proposed-ci-changes", ProposedCIChangeViewSet, basename="proposed-ci-change")
    router.register("unauthorised-changes", UnauthorisedChangeViewSet, basename="unauthorised-change")
    router.register("exempt-sources", ExemptSourceViewSet, basename="exempt-source")

