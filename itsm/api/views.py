"""Kernel API endpoints: me, users, teams, customers, API tokens, health."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404  # a malformed id is a 404, not a ValueError
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors, services
from ..filtersets import CustomerFilterSet, TeamFilterSet
from ..permissions import ADMIN_ROLES, ALL_ROLES, STAFF_ROLES
from . import serializers as s
from .viewsets import ServiceModelViewSet


class MeView(APIView):
    """The authenticated user, with roles."""

    read_roles = ALL_ROLES

    @extend_schema(responses=s.UserSerializer)
    def get(self, request):
        return Response(s.UserSerializer(request.user).data)


class UserViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.UserSerializer
    read_roles = STAFF_ROLES
    ordering_fields = ["username", "last_name", "id"]
    ordering = ["username"]
    filterset_fields = ["username", "is_active"]

    def get_queryset(self):
        return selectors.user_list(self.request.user)


class CustomerViewSet(ServiceModelViewSet):
    serializer_class = s.CustomerSerializer
    input_serializer_class = s.CustomerInputSerializer
    filterset_class = CustomerFilterSet
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES
    ordering_fields = ["name", "code", "created_at", "id"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.customer_list(self.request.user)

    def perform_service_create(self, data):
        return services.customer_create(actor=self.request.user, data=data)

    def perform_service_update(self, obj, data, expected_version):
        return services.customer_update(actor=self.request.user, customer=obj, data=data,
                                        expected_version=expected_version)


class TeamViewSet(ServiceModelViewSet):
    serializer_class = s.TeamSerializer
    input_serializer_class = s.TeamInputSerializer
    filterset_class = TeamFilterSet
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES
    ordering_fields = ["name", "created_at", "id"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.team_list(self.request.user)

    def perform_service_create(self, data):
        members = data.pop("members", [])
        return services.team_create(actor=self.request.user, data=data, members=members)

    def perform_service_update(self, obj, data, expected_version):
        members = data.pop("members", None)
        return services.team_update(actor=self.request.user, team=obj, data=data, members=members,
                                    expected_version=expected_version)


class ApiTokenViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's own API tokens. The secret is returned once, at creation."""

    serializer_class = s.ApiTokenSerializer
    read_roles = ALL_ROLES
    write_roles = ALL_ROLES
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return selectors.token_list_for(None)
        return selectors.token_list_for(self.request.user)

    @extend_schema(request=s.ApiTokenInputSerializer, responses={201: s.ApiTokenCreatedSerializer})
    def create(self, request):
        # Deliberately not idempotent: a replayed answer would require storing the secret.
        serializer = s.ApiTokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, secret = services.token_create(actor=request.user, user=request.user, **serializer.validated_data)
        token.token = secret
        return Response(s.ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.ApiTokenSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = get_object_or_404(self.get_queryset(), pk=pk)
        token = services.token_revoke(actor=request.user, token=token)
        return Response(s.ApiTokenSerializer(token).data)
