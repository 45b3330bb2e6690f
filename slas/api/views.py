"""SLA API: calendars (administrators write, staff read) and the business-time arithmetic
the engine uses, for integrations that need the same answers (any staff caller: asking a
question changes nothing, so read-only tokens and auditors may ask too); agreements and
targets (administrators write, staff read); timers with their explanation and breaches
(read-only for everyone: only the engine writes timers).
"""

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from itsm.api.errors import PreconditionFailed
from itsm.api.mixins import ConcurrencyMixin, etag_for, respond_idempotently
from itsm.api.schema import IDEMPOTENCY_PARAMETER, IF_MATCH_PARAMETER, paginated
from itsm.api.viewsets import ServiceModelViewSet
from itsm.permissions import ADMIN_ROLES, STAFF_ROLES

from .. import businesstime, registry, selectors, services
from ..calendars import business_calendar, uncovered
from ..filtersets import AgreementFilterSet, CalendarFilterSet, TargetFilterSet, TimerFilterSet
from ..models import Timer
from . import serializers as s


class CalendarViewSet(ServiceModelViewSet):
    serializer_class = s.CalendarSerializer
    input_serializer_class = s.CalendarInputSerializer
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES
    # Questions, not changes: answered for every reader. Instants are answered in the calendar's
    # zone with its offset (the question's instants need an offset: docs/slas.md).
    query_actions = ("add", "between", "next_business_instant")
    filterset_class = CalendarFilterSet
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
    @paginated
    def versions(self, request, pk=None):
        calendar = self.get_object()
        page = self.paginate_queryset(calendar.versions.select_related("created_by").order_by("-number"))
        return self.get_paginated_response(s.CalendarVersionSerializer(page, many=True).data)

    @extend_schema(request=s.IcsImportInputSerializer, responses=s.CalendarImportResultSerializer)
    @action(detail=True, methods=["post"], url_path="import", url_name="import")
    def import_ics(self, request, pk=None):
        """Declare closed the days of the events of an iCalendar file (all or nothing; one new version)."""
        calendar = self.get_object()
        serializer = s.IcsImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        count = services.calendar_import_ics(actor=request.user, calendar=calendar,
                                             content=serializer.validated_data["content"])
        return Response(s.CalendarImportResultSerializer({"imported": count,
                                                  "calendar_version": services.current_version(calendar).number}).data)

    @extend_schema(request=s.RecomputeInputSerializer, responses=s.RecomputeResultSerializer)
    @action(detail=True, methods=["post"])
    def recompute(self, request, pk=None):
        """Move the live timers on an older version of this calendar to its current version."""
        return recompute(request, calendar=self.get_object())

    def _refuse_uncovered(self, version, field: str, instant) -> None:
        """An instant outside the years whose public holidays the version holds is refused (400,
        naming the covered years): counting their holidays as working days would be wrong."""
        reason = uncovered(self.get_object(), version.definition, instant)
        if reason:
            raise ValidationError({field: reason})

    def _current(self):
        version = services.current_version(self.get_object())
        return version, business_calendar(version.definition)

    @extend_schema(request=s.AddInputSerializer, responses=s.AddResultSerializer, description=(
        "A question, not a change: the instant `duration` of business time after `start` in this "
        "calendar. It writes nothing, so every reader may ask it (auditors and read-only tokens "
        "too), although it is a POST."))
    @action(detail=True, methods=["post"])
    def add(self, request, pk=None):
        """The instant at which `duration` of business time has elapsed from `start`."""
        serializer = s.AddInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version, calendar = self._current()
        start, duration = serializer.validated_data["start"], serializer.validated_data["duration"]
        self._refuse_uncovered(version, "start", start)
        try:
            due = businesstime.add(calendar, start, duration)
        except ValueError as exc:
            raise ValidationError({"duration": str(exc)}) from None
        except OverflowError:
            raise ValidationError({"duration": _("The instant would be after the year 9999.")}) from None
        self._refuse_uncovered(version, "duration", due)
        zone = calendar.zone
        return Response(s.AddResultSerializer({"start": start.astimezone(zone), "duration": duration,
                                               "due": due.astimezone(zone), "calendar_version": version.number}).data)

    @extend_schema(request=s.NextBusinessInstantInputSerializer, responses=s.NextBusinessInstantResultSerializer,
                   description=("A question, not a change: `instant` itself when it is working time in this "
                                "calendar, else the start of the next working interval. It writes nothing, so "
                                "every reader may ask it, although it is a POST."))
    @action(detail=True, methods=["post"], url_path="next-business-instant", url_name="next-business-instant")
    def next_business_instant(self, request, pk=None):
        """The next business instant at or after `instant`."""
        serializer = s.NextBusinessInstantInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version, calendar = self._current()
        instant = serializer.validated_data["instant"]
        self._refuse_uncovered(version, "instant", instant)
        try:
            following = businesstime.next_business_instant(calendar, instant)
        except ValueError as exc:
            raise ValidationError({"instant": str(exc)}) from None
        self._refuse_uncovered(version, "instant", following)
        return Response(s.NextBusinessInstantResultSerializer({
            "instant": instant.astimezone(calendar.zone), "next_business_instant": following.astimezone(calendar.zone),
            "is_business_time": following == instant, "calendar_version": version.number}).data)

    @extend_schema(request=s.BetweenInputSerializer, responses=s.BetweenResultSerializer, description=(
        "A question, not a change: the business time between `start` and `end` in this calendar. "
        "It writes nothing, so every reader may ask it (auditors and read-only tokens too), "
        "although it is a POST."))
    @action(detail=True, methods=["post"])
    def between(self, request, pk=None):
        """Business time elapsed from `start` to `end` (zero when `end` is not after `start`)."""
        serializer = s.BetweenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version, calendar = self._current()
        start, end = serializer.validated_data["start"], serializer.validated_data["end"]
        if end < start:
            raise ValidationError({"end": _("The end is before the start.")})
        self._refuse_uncovered(version, "start", start)
        self._refuse_uncovered(version, "end", end)
        if end - start > timedelta(days=businesstime.SEARCH_LIMIT_DAYS):
            # Walked day by day: year 2 to 9998 took 9 s of a web process, for any reader.
            raise ValidationError({"end": _("At most %(days)s days after the start.")
                                   % {"days": businesstime.SEARCH_LIMIT_DAYS}})
        elapsed = businesstime.between(calendar, start, end)
        return Response(s.BetweenResultSerializer({
            "start": start.astimezone(calendar.zone), "end": end.astimezone(calendar.zone), "business_time": elapsed, "business_seconds": elapsed.total_seconds(),
            "calendar_version": version.number}).data)


# --- agreements and targets -------------------------------------------------------------------

class AgreementViewSet(ServiceModelViewSet):
    """Service level agreements. Updates need If-Match (or `version`), as for every record."""

    serializer_class = s.AgreementSerializer
    input_serializer_class = s.AgreementInputSerializer
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES
    filterset_class = AgreementFilterSet
    ordering_fields = ["name", "valid_from", "id"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.agreement_list(self.request.user)

    def perform_service_create(self, data):
        return services.agreement_create(actor=self.request.user, data=data)

    def perform_service_update(self, obj, data, expected_version):
        return services.agreement_update(actor=self.request.user, agreement=obj, data=data,
                                         expected_version=expected_version)


@extend_schema_view(partial_update=extend_schema(
    summary="Change a target: writes its next version",
    description="Targets are never edited in place. PATCH on the current version writes the next version "
                "(same `lineage`, `version` + 1) with the fields given and the others copied, makes it current "
                "and answers it (its new `id`). Running timers keep the version they started with until "
                "an administrator recomputes them. PATCH on an older version is refused (400). If-Match is "
                "optional: when given, it must be the ETag of the current version (412 otherwise)."))
class TargetViewSet(ConcurrencyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Targets, every version: `?is_current=true` for the ones in force, `?lineage=` for a history."""

    serializer_class = s.TargetSerializer
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_class = TargetFilterSet
    ordering_fields = ["name", "version", "created_at", "id"]
    ordering = ["agreement", "metric", "name", "-version"]

    def get_queryset(self):
        return selectors.target_list(self.request.user)

    def get_serializer_class(self):
        if getattr(self, "action", None) in ("create", "partial_update"):
            return s.TargetInputSerializer
        return s.TargetSerializer

    def _output(self, target, status_code):
        self._etag_object = target
        return Response(s.TargetSerializer(target, context=self.get_serializer_context()).data, status=status_code)

    @extend_schema(request=s.TargetInputSerializer, responses={201: s.TargetSerializer},
                   parameters=[IDEMPOTENCY_PARAMETER])
    def create(self, request, *args, **kwargs):
        def create():
            serializer = s.TargetInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            target = services.target_create(actor=request.user, data=dict(serializer.validated_data))
            return self._output(target, status.HTTP_201_CREATED)

        return respond_idempotently(request, create)

    @extend_schema(request=s.TargetInputSerializer, responses=s.TargetSerializer, parameters=[IF_MATCH_PARAMETER])
    def partial_update(self, request, *args, **kwargs):
        target = self.get_object()
        if not target.is_current:
            raise ValidationError(_("Version %(number)s is not the current version of this target.") % {
                "number": target.version})
        if_match = request.headers.get("If-Match")
        if if_match and if_match.strip() not in (etag_for(target), "*"):
            raise PreconditionFailed()
        serializer = s.TargetInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        following = services.target_update(actor=request.user, target=target, data=dict(serializer.validated_data))
        return self._output(following, status.HTTP_200_OK)


    @extend_schema(request=s.RecomputeInputSerializer, responses=s.RecomputeResultSerializer)
    @action(detail=True, methods=["post"])
    def recompute(self, request, pk=None):
        """Move the live timers on an older version of this target to its current version."""
        return recompute(request, target=self.get_object())


def recompute(request, **scope):
    serializer = s.RecomputeInputSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    count = services.timers_recompute_outdated(actor=request.user, reason=serializer.validated_data["reason"],
                                               **scope)
    return Response(s.RecomputeResultSerializer({"recomputed": count}).data)


# --- timers and breaches (read-only) ----------------------------------------------------------

def record_types() -> dict[int, str]:
    """Content type id -> subject name of every registered record type (cached content types)."""
    return {ContentType.objects.get_for_model(subject.model).pk: subject.name for subject in registry.subjects()}


class TimerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """SLA timers, read-only (the engine writes them). A timer's page carries its `events`: the
    explanation of its clock in order (start, pause, resume, threshold, breach, stop, retarget,
    recompute), each with its instant, cause and the business time elapsed at that point."""

    serializer_class = s.TimerSerializer
    read_roles = STAFF_ROLES
    write_roles = ()
    filterset_class = TimerFilterSet
    ordering_fields = ["started_at", "due_at", "breached_at", "id"]
    ordering = ["-started_at"]

    def get_queryset(self):
        return selectors.timer_list(self.request.user, with_events=True).prefetch_related("record")

    def get_serializer_class(self):
        return s.TimerDetailSerializer if self.action == "retrieve" else s.TimerSerializer

    def get_serializer_context(self):
        # One "now" for the whole answer: every timer's live numbers are counted up to it.
        context = {**super().get_serializer_context(), "now": timezone.now()}
        if not getattr(self, "swagger_fake_view", False):  # the schema generator has no database
            context["record_types"] = record_types()
        return context

    def get_serializer(self, *args, **kwargs):
        # The cycles of every timer of the answer (its key's), read with one query for the page.
        if args and not isinstance(args[0], dict):
            instance = args[0]
            timers = [instance] if isinstance(instance, Timer) else list(instance)
            kwargs["context"] = {**self.get_serializer_context(), "cycles": selectors.cycles_of(timers)}
        return super().get_serializer(*args, **kwargs)


class BreachViewSet(TimerViewSet):
    """Breached timers (`breached_at` set), most recent first, with the record's number."""

    ordering = ["-breached_at"]

    def get_queryset(self):
        return super().get_queryset().filter(breached_at__isnull=False)


EXTRA_ROUTES = [
    ("agreements", AgreementViewSet, "agreement"),
    ("targets", TargetViewSet, "target"),
    ("timers", TimerViewSet, "timer"),
    ("breaches", BreachViewSet, "breach"),
]
