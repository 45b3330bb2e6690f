"""Known-error database and trend proposals in the API: the known errors (read and search, with
how often each was used and whether it is stale), the ones suggested for an incident, and the
proposals of trend detection (read; problem managers accept or dismiss them)."""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from incidents.models import Incident
from incidents.selectors import incident_get_for_user
from itsm.api.mixins import ConcurrencyMixin, respond_idempotently
from itsm.api.schema import IDEMPOTENCY_PARAMETER
from itsm.permissions import STAFF_ROLES

from .. import known_errors, selectors, services
from ..workflow import PROBLEM_MANAGERS
from . import serializers as s
from .views import with_incident_count

SUGGESTION_PARAMETERS = [
    OpenApiParameter("incident", int, description="An incident's id: its service and CIs are matched."),
    OpenApiParameter("service", int, description="A service CI's id."),
    OpenApiParameter("ci", int, many=True, description="CI ids (repeat the parameter)."),
    OpenApiParameter("limit", int, description="At most this many (1 to 20, default 5)."),
]


class KnownErrorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Known errors: problems in known error, and resolved or closed ones with a workaround.
    Staff read; nothing is written here (a problem's workflow publishes a known error, and
    problems/{id}/apply-workaround/ applies one)."""

    serializer_class = s.KnownErrorSerializer
    read_roles = STAFF_ROLES
    write_roles = ()
    filterset_class = known_errors.KnownErrorFilterSet
    ordering_fields = ["known_error_at", "number", "id"]
    ordering = ["-known_error_at"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return (known_errors.known_error_list(self.request.user).select_related("root_cause_category")
                .prefetch_related(Prefetch("cis", to_attr="ci_list")))

    def list(self, request, *args, **kwargs):
        page = known_errors.with_counts(self.paginate_queryset(self.filter_queryset(self.get_queryset())))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        [entry] = known_errors.with_counts([self.get_object()])
        return Response(self.get_serializer(entry).data)

    @extend_schema(parameters=SUGGESTION_PARAMETERS, responses=s.SuggestionSerializer(many=True), filters=False)
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def suggestions(self, request):
        """Known errors that share a CI or the service with an incident (or with the service and
        CIs given), including CIs its CIs depend on, best match first, each with its workaround."""
        query = s.SuggestionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        service_id, ci_ids = self._matched(query.validated_data)
        found = known_errors.known_error_suggestions(request.user, service_id=service_id, ci_ids=ci_ids,
                                                     limit=query.validated_data["limit"])
        return Response(s.SuggestionSerializer(found, many=True).data)

    def _matched(self, query: dict) -> tuple[int | None, tuple[int, ...]]:
        """The service and CIs to match: the incident's, or those given."""
        if query.get("incident"):
            incident = incident_get_for_user(self.request.user, query["incident"], details=False)
            return incident.service_id, tuple(incident.cis.values_list("pk", flat=True))
        return query.get("service"), tuple(query.get("ci", ()))


class ProposalViewSet(ConcurrencyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Trend proposals: groups of recent incidents that recur, with why they were grouped. Staff
    read them and the decisions taken; problem managers accept (a problem is created with the
    incidents linked) or dismiss them with a reason."""

    serializer_class = s.ProposalSerializer
    read_roles = STAFF_ROLES
    write_roles = PROBLEM_MANAGERS
    filterset_fields = ["state", "basis"]
    ordering_fields = ["detected_at", "incident_count", "id"]
    ordering = ["-detected_at"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        queryset = selectors.proposal_list(self.request.user, state=None)
        if getattr(self, "action", None) == "retrieve":
            incidents = Incident.objects.select_related("service").order_by("-opened_at", "-id")
            queryset = queryset.prefetch_related(Prefetch("incidents", queryset=incidents, to_attr="incident_list"))
        return queryset

    def get_serializer_class(self):
        return s.ProposalDetailSerializer if getattr(self, "action", None) == "retrieve" else s.ProposalSerializer

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER], request=s.ProposalAcceptInputSerializer,
                   responses={201: s.ProblemDetailSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept: a problem is made of the proposal's incidents still linked to none (their fields
        carried over; problem fields given override them). 201 with the problem."""
        proposal = self.get_object()
        return respond_idempotently(request, lambda: self._accept(request, proposal))

    def _accept(self, request, proposal):
        serializer = s.ProposalAcceptInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        problem = services.proposal_accept(actor=request.user, proposal=proposal, data=serializer.validated_data)
        problem = with_incident_count(selectors.with_details(selectors.problem_list(request.user))).get(pk=problem.pk)
        self._etag_object = problem
        context = self.get_serializer_context()
        return Response(s.ProblemDetailSerializer(problem, context=context).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ProposalDismissInputSerializer, responses=s.ProposalSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        """Dismiss with a reason: the same group is proposed again only once it has grown."""
        proposal = self.get_object()
        serializer = s.ProposalDismissInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        proposal = services.proposal_dismiss(actor=request.user, proposal=proposal,
                                             reason=serializer.validated_data["reason"])
        self._etag_object = proposal = self.get_queryset().get(pk=proposal.pk)
        return Response(s.ProposalSerializer(proposal).data)
