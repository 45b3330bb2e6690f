"""Change approvals API, under /api/v1/changes/:
- `approval-rules/`: the rules that choose approver groups (staff read, administrators write);
- `approvals/`: the approver groups of changes' authorisations (`?change=`, `?state=`), with
  who may decide and the decisions (as which role); `approvals/awaiting/`: the caller's queue;
  `approvals/{id}/decide/` {outcome, comment}: the caller's own decision as that group.

Every write goes through changes.services (the kernel refuses the requester and implementer,
non-members and second decisions: 403 / 409 with the reason); auditors and read-only tokens read.
"""

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from itsm.api.viewsets import ServiceModelViewSet
from itsm.approval_models import ApprovalDecision, ApprovalGroup, ApprovalState
from itsm.filtersets import IdFilter
from itsm.models import JournalEntry, User
from itsm.permissions import ADMIN_ROLES, STAFF_ROLES

from ..selectors import change_get_for_user, may_read_changes
from ..selectors_approvals import PURPOSE, approval_rule_list, awaiting_approval, change_type
from ..services.approval_rules import approval_rule_create, approval_rule_update
from ..services.approvals import APPROVER_ROLES, change_decide
from . import approval_serializers as s

urlpatterns = []


def register(router) -> None:
    router.register("approval-rules", ApprovalRuleViewSet, basename="approval-rule")
    router.register("approvals", ApprovalViewSet, basename="approval")


class ApprovalRuleViewSet(ServiceModelViewSet):
    """Approval rules: every active rule matching a change (model, risk from its level up, service
    among the affected or impacted ones) adds its approver group when authorisation is asked.
    Staff read; administrators write. Retire a rule with `is_active: false` (no delete)."""

    serializer_class = s.ApprovalRuleSerializer
    input_serializer_class = s.ApprovalRuleInputSerializer
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES
    filterset_fields = ["change_model", "min_risk", "service", "team", "board", "is_active"]
    ordering_fields = ["order", "name", "id"]
    ordering = ["order", "id"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return approval_rule_list(self.request.user)

    def expected_version(self, request, obj):
        return None  # rules carry no version

    def fresh(self, rule):
        return self.get_queryset().get(pk=rule.pk)

    def perform_service_create(self, data):
        return self.fresh(approval_rule_create(actor=self.request.user, data=data))

    def perform_service_update(self, obj, data, expected_version):
        return self.fresh(approval_rule_update(actor=self.request.user, rule=obj, data=data))


class ApprovalFilterSet(django_filters.FilterSet):
    change = IdFilter(field_name="request__object_id", label="Change (id)")
    state = django_filters.ChoiceFilter(choices=ApprovalState.choices)

    class Meta:
        model = ApprovalGroup
        fields = ["change", "state"]


def roles_of(groups) -> dict:
    """{(group id, approver id): role} of the decisions in `groups` (one query)."""
    entries = JournalEntry.objects.filter(content_type=change_type(),
                                          object_id__in={g.request.object_id for g in groups},
                                          data__step="decided").values_list("author_id", "data")
    return {(data.get("group"), author): data.get("role", "") for author, data in entries}


class ApprovalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Approver groups of changes' authorisations, newest first. Staff read; people who work
    changes decide as themselves (`decide`)."""

    serializer_class = s.ApprovalGroupSerializer
    read_roles = STAFF_ROLES
    write_roles = APPROVER_ROLES
    filterset_class = ApprovalFilterSet
    ordering_fields = ["id"]
    ordering = ["-id"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if not may_read_changes(self.request.user):
            return ApprovalGroup.objects.none()
        people = User.objects.order_by("username")
        return ApprovalGroup.objects.filter(request__content_type=change_type(), request__purpose=PURPOSE) \
            .select_related("request").prefetch_related(
                Prefetch("members", queryset=people, to_attr="member_list"),
                Prefetch("decisions", queryset=ApprovalDecision.objects.select_related("approver"),
                         to_attr="decision_list"))

    def answer(self, groups, many=False):
        context = {**self.get_serializer_context(), "roles": roles_of(groups)}
        return s.ApprovalGroupSerializer(groups if many else groups[0], many=many, context=context).data

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.answer(page, many=True))

    def retrieve(self, request, *args, **kwargs):
        return Response(self.answer([self.get_object()]))

    @extend_schema(responses=s.AwaitingSerializer(many=True), filters=False)
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def awaiting(self, request):
        """Changes under authorisation awaiting the caller's decision, with the groups they may
        decide in (their "Awaiting my approval" queue): one list, as long as that work is."""
        return Response(s.AwaitingSerializer(awaiting_approval(request.user), many=True).data)

    @extend_schema(request=s.DecideInputSerializer, responses=s.ApprovalGroupSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Approve or reject as this group, as oneself: 403 for the requester, the implementer and
        non-members, 409 for a second decision or a closed approval."""
        group = self.get_object()
        serializer = s.DecideInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = change_get_for_user(request.user, group.request.object_id)
        change_decide(actor=request.user, change=change, group=group, **serializer.validated_data)
        return Response(self.answer([self.get_queryset().get(pk=group.pk)]))

