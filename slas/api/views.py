"""SLA API: calendars (administrators write, staff read) and the business-time arithmetic
the engine uses, for integrations that need the same answers (any staff caller: asking a
question changes nothing, so read-only tokens and auditors may ask too)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from itsm.api.viewsets import ServiceModelViewSet
from itsm.permissions import ADMIN_ROLES, STAFF_ROLES

from .. import businesstime, selectors, services
from ..calendars import business_calendar
from . import serializers as s


class CalendarViewSet(ServiceModelViewSet):
    serializer_class = s.CalendarSerializer
    input_serializer_class = s.CalendarInputSerializer
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES
    query_actions = ("add", "between")  # questions, not changes: answered for every reader
    filterset_fields = ["is_active", "country"]
    ordering_fields = ["name", "id"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.calendar_list(self.request.user)

    def perform_service_create(self, data):
        return services.calendar_create(actor=self.request.user, data=data)

    def perform_service_update(self, obj, data, expected_version):
        return services.calendar_update(actor=self.request.user, calendar=obj, data=data,
                                        expected_version=expected_version)

    @extend_schema(request=s.CalendarDayInputSerializer, responses={201: s.CalendarDaySerializer})
    @action(detail=True, methods=["post"])
    def days(self, request, pk=None):
        """Declare one of the organisation's own days: closed, or an extra working day."""
        calendar = self.get_object()
        serializer = s.CalendarDayInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        day = services.calendar_day_set(actor=request.user, calendar=calendar, **serializer.validated_data)
        return Response(s.CalendarDaySerializer(day).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.CalendarVersionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def versions(self, request, pk=None):
        calendar = self.get_object()
        page = self.paginate_queryset(calendar.versions.select_related("created_by").order_by("-number"))
        return self.get_paginated_response(s.CalendarVersionSerializer(page, many=True).data)

    def _current(self):
        version = services.current_version(self.get_object())
        return version, business_calendar(version.definition)

    @extend_schema(request=s.AddInputSerializer, responses=s.AddResultSerializer)
    @action(detail=True, methods=["post"])
    def add(self, request, pk=None):
        """The instant at which `duration` of business time has elapsed from `start`."""
        serializer = s.AddInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version, calendar = self._current()
        start, duration = serializer.validated_data["start"], serializer.validated_data["duration"]
        try:
            due = businesstime.add(calendar, start, duration)
        except ValueError as exc:
            raise ValidationError({"duration": str(exc)}) from None
        return Response(s.AddResultSerializer({"start": start, "duration": duration, "due": due,
                                               "calendar_version": version.number}).data)

    @extend_schema(request=s.BetweenInputSerializer, responses=s.BetweenResultSerializer)
    @action(detail=True, methods=["post"])
    def between(self, request, pk=None):
        """Business time elapsed from `start` to `end` (zero when `end` is not after `start`)."""
        serializer = s.BetweenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version, calendar = self._current()
        start, end = serializer.validated_data["start"], serializer.validated_data["end"]
        if end < start:
            raise ValidationError({"end": _("The end is before the start.")})
        elapsed = businesstime.between(calendar, start, end)
        return Response(s.BetweenResultSerializer({
            "start": start, "end": end, "business_time": elapsed, "business_seconds": elapsed.total_seconds(),
            "calendar_version": version.number}).data)
