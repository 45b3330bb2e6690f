"""Base classes every app's API builds on: role permissions, strict filters, idempotent
creates, optimistic-concurrency updates; all writes go through the app's services."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ..journal import journal_for, record_comment
from ..workflow import transition_apply
from .mixins import ConcurrencyMixin, respond_idempotently
from .schema import IDEMPOTENCY_PARAMETER, IF_MATCH_PARAMETER, paginated
from .serializers import (
    CommentInputSerializer,
    JournalEntrySerializer,
    TransitionInputSerializer,
    TransitionSerializer,
)


class ServiceModelViewSet(ConcurrencyMixin, mixins.ListModelMixin,
                          mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """List, retrieve, create and update, with writes delegated to services.

    Subclasses set `serializer_class` (output), `input_serializer_class`, and implement
    `perform_service_create(data)` and `perform_service_update(obj, data, expected_version)`,
    each returning the saved object. There is no DELETE: records are never erased.
    """

    input_serializer_class = None
    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    def get_serializer_class(self):
        if getattr(self, "action", None) in ("create", "update", "partial_update"):
            return self.input_serializer_class
        return self.serializer_class

    def output(self, obj, status_code=status.HTTP_200_OK, headers=None):
        return Response(self.serializer_class(obj, context=self.get_serializer_context()).data,
                        status=status_code, headers=headers)

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER])
    def create(self, request, *args, **kwargs):
        return respond_idempotently(request, lambda: self._create(request))

    def _create(self, request):
        serializer = self.input_serializer_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        obj = self.perform_service_create(serializer.validated_data)
        self._etag_object = obj
        return self.output(obj, status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH_PARAMETER])
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        obj = self.get_object()
        expected = self.expected_version(request, obj)
        serializer = self.input_serializer_class(
            data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        obj = self.perform_service_update(obj, serializer.validated_data, expected)
        self._etag_object = obj
        return self.output(obj)

    @extend_schema(parameters=[IF_MATCH_PARAMETER])
    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)


class WorkflowActionsMixin:
    """Adds to a record viewset: `GET {id}/transitions/` (what the caller may do now),
    `POST {id}/transition/` (409 if not allowed from the current state), and the journal:
    `GET {id}/journal/`, `POST {id}/comments/`."""

    comment_roles = None  # defaults to write_roles

    @extend_schema(responses=TransitionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def transitions(self, request, pk=None):
        record = self.get_object()
        steps = type(record).workflow.available(record, request.user)
        return Response([
            {"name": t.name, "label": str(t.label), "target": t.target, "fields": list(t.fields)} for t in steps
        ])

    @extend_schema(request=TransitionInputSerializer, parameters=[IF_MATCH_PARAMETER])
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        record = self.get_object()
        expected = self.expected_version(request, record) if self._has_precondition(request) else None
        serializer = TransitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = self.perform_transition(record, expected_version=expected, **serializer.validated_data)
        self._etag_object = record
        return self.output(record)

    def perform_transition(self, record, *, transition, data, reason, expected_version):
        return transition_apply(actor=self.request.user, record=record, name=transition, data=data,
                                reason=reason, expected_version=expected_version)

    @extend_schema(responses=JournalEntrySerializer(many=True))
    @action(detail=True, methods=["get"])
    @paginated
    def journal(self, request, pk=None):
        record = self.get_object()
        entries = journal_for(record, request.user)
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(JournalEntrySerializer(page, many=True).data)

    @extend_schema(request=CommentInputSerializer, responses={201: JournalEntrySerializer})
    @action(detail=True, methods=["post"])
    def comments(self, request, pk=None):
        record = self.get_object()
        serializer = CommentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = self.perform_comment(record, **serializer.validated_data)
        return Response(JournalEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    def perform_comment(self, record, *, body, internal):
        return record_comment(actor=self.request.user, record=record, body=body, internal=internal)

    @staticmethod
    def _has_precondition(request):
        return "If-Match" in request.headers or (hasattr(request.data, "get") and "version" in request.data)
