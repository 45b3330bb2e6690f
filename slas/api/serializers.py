"""SLA API serializers: input and output kept apart; services write."""

from datetime import datetime

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config_items.models import ConfigurationItem
from itsm.api.serializers import StrictInputSerializer
from itsm.models import Customer, Team

from .. import explain
from ..choices import ActionKind, CycleCounting, DayKind, GoalKind, Metric, Restart, TargetKind
from ..models import Agreement, Calendar, CalendarDay, CalendarVersion, Target, Timer, TimerEvent
from ..selectors import timer_key


class CalendarDaySerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name", "hours"]


class CalendarSerializer(serializers.ModelSerializer):
    days = CalendarDaySerializer(many=True, read_only=True)
    current_version = serializers.SerializerMethodField()
    holiday_years = serializers.SerializerMethodField(help_text=(
        "The years whose public holidays the current version holds (business-time questions outside "
        "them are refused), and those of them that are the holidays library's estimates, not yet "
        "officially published."))

    class Meta:
        model = Calendar
        fields = ["id", "name", "time_zone", "weekly_hours", "country", "subdivision", "is_active", "builtin", "days",
                  "current_version", "holiday_years", "version", "created_at", "updated_at"]

    def get_holiday_years(self, obj) -> dict:
        version = max(getattr(obj, "published", []), key=lambda v: v.number, default=None) \
            if hasattr(obj, "published") else obj.versions.order_by("-number").first()
        definition = version.definition if version is not None else {}
        years = definition.get("years") or [] if obj.country else []
        return {"covered": [min(years), max(years)] if years else None,
                "estimated": definition.get("estimated", []) if obj.country else []}

    def get_current_version(self, obj) -> int | None:
        versions = [v.number for v in getattr(obj, "published", [])] if hasattr(obj, "published") else None
        if versions is not None:
            return max(versions, default=None)
        latest = obj.versions.order_by("-number").values_list("number", flat=True).first()
        return latest


class CalendarInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    time_zone = serializers.CharField(max_length=64, required=False)
    weekly_hours = serializers.DictField(child=serializers.ListField(child=serializers.ListField(
        child=serializers.CharField(max_length=5), min_length=2, max_length=2)),
        help_text='{"mon": [["09:00", "12:00"], ["13:30", "18:00"]], ..., "sun": []}')
    country = serializers.CharField(max_length=8, required=False, allow_blank=True)
    subdivision = serializers.CharField(max_length=16, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class CalendarDayInputSerializer(StrictInputSerializer):
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=DayKind.choices)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    hours = serializers.ListField(child=serializers.ListField(child=serializers.CharField(max_length=5),
                                                              min_length=2, max_length=2),
                                  required=False, default=list)


class CalendarVersionSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = CalendarVersion
        fields = ["number", "summary", "created_at", "created_by", "definition"]


class InstantField(serializers.DateTimeField):
    """An instant: a date and time *with* its UTC offset. Without one it is refused (400), not read
    as UTC or in the calendar's zone: a business-time question about the wrong instant is worse
    than no answer."""

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                raise serializers.ValidationError(
                    _("Give the instant with its UTC offset, e.g. 2025-09-30T17:00:00+08:00 or 2025-09-30T09:00:00Z."),
                    code="naive")
        elif isinstance(value, datetime) and value.tzinfo is None:
            raise serializers.ValidationError(_("Give the instant with its UTC offset."), code="naive")
        return super().to_internal_value(value)


INSTANT_HELP = "An instant with its UTC offset, e.g. 2025-09-30T17:00:00+08:00; without one it is refused (400)."


class ZonedInstantField(serializers.DateTimeField):
    """An instant written in the zone it carries (the calendar's: the views convert it), with its
    offset, e.g. "2025-10-09T10:00:00+08:00"."""

    def to_representation(self, value):
        return value.isoformat()


class AddInputSerializer(StrictInputSerializer):
    start = InstantField(help_text=INSTANT_HELP)
    duration = serializers.DurationField(help_text='Business time to add, e.g. "04:00:00" or "P1DT2H" (ISO 8601).')


class AddResultSerializer(serializers.Serializer):
    start = ZonedInstantField()
    duration = serializers.DurationField()
    due = ZonedInstantField()
    calendar_version = serializers.IntegerField()


class BetweenInputSerializer(StrictInputSerializer):
    start = InstantField(help_text=INSTANT_HELP)
    end = InstantField(help_text=INSTANT_HELP)


class NextBusinessInstantInputSerializer(StrictInputSerializer):
    instant = InstantField(help_text=INSTANT_HELP)


class NextBusinessInstantResultSerializer(serializers.Serializer):
    instant = ZonedInstantField()
    next_business_instant = ZonedInstantField(help_text="The instant itself when it is working time, else the "
                                                        "start of the next working interval.")
    is_business_time = serializers.BooleanField()
    calendar_version = serializers.IntegerField()


class BetweenResultSerializer(serializers.Serializer):
    start = ZonedInstantField()
    end = ZonedInstantField()
    business_time = serializers.DurationField()
    business_seconds = serializers.FloatField()
    calendar_version = serializers.IntegerField()


# --- agreements -------------------------------------------------------------------------------

class AgreementSerializer(serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(read_only=True)
    services = serializers.SerializerMethodField()

    class Meta:
        model = Agreement
        fields = ["id", "name", "customer", "services", "valid_from", "valid_to", "description", "is_active",
                  "version", "created_at", "updated_at"]

    def get_services(self, obj) -> list[int]:
        return sorted(service.pk for service in obj.services.all())  # prefetched


class AgreementInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=200)
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all(), allow_null=True, required=False)
    services = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.services(), many=True,
                                                  required=False,
                                                  help_text="Live services of the catalogue; empty: every service.")
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True, required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    is_active = serializers.BooleanField(required=False)


# --- targets ----------------------------------------------------------------------------------

class EscalationActionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ActionKind.choices)
    user = serializers.IntegerField(required=False, help_text="notify_manager: the manager's user id.")
    team = serializers.IntegerField(required=False, help_text="reassign: the group's id.")


class EscalationStepSerializer(serializers.Serializer):
    percent = serializers.IntegerField(min_value=1, max_value=100)
    actions = EscalationActionSerializer(many=True)


RESTART_HELP = (
    'What the clock does when it would start again after it stopped: "continue" (the same clock goes on: a '
    'reopened resolution, a group getting the record back), "none" (it stays stopped), "reopen" (a new cycle on '
    'each reopening; for an operational level target, each time its group gets the record back), '
    '"customer_reply" (a new cycle on each public comment of the caller after the service desk answered, stopped '
    'by its next reply: the customer\'s response targets only).')
CYCLE_COUNTING_HELP = ('Which cycles count in attainment, times and breach lists: "every", "last" (only the latest '
                       'cycle), "first".')


class TargetSerializer(serializers.ModelSerializer):
    escalations = EscalationStepSerializer(many=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    kind = serializers.ChoiceField(choices=TargetKind.choices, read_only=True, help_text=(
        '"sla": the customer\'s service level; "ola": an assignment group\'s operational level (its timer runs '
        'while `team` holds the record), reported apart.'))
    restart = serializers.ChoiceField(choices=Restart.choices, read_only=True, help_text=RESTART_HELP)
    cycle_counting = serializers.ChoiceField(choices=CycleCounting.choices, read_only=True,
                                             help_text=CYCLE_COUNTING_HELP)
    reopen_continues = serializers.BooleanField(read_only=True, help_text=(
        'Deprecated: true when `restart` is "continue". Kept for earlier readers.'))

    class Meta:
        model = Target
        fields = ["id", "lineage", "version", "is_current", "agreement", "name", "kind", "team", "metric",
                  "record_type", "priorities", "service", "goal", "goal_kind", "goal_days", "goal_time", "calendar",
                  "pause_states", "escalations", "restart", "cycle_counting", "reopen_continues", "created_at",
                  "created_by"]


class TargetInputSerializer(StrictInputSerializer):
    agreement = serializers.PrimaryKeyRelatedField(queryset=Agreement.objects.all())
    name = serializers.CharField(max_length=200)
    metric = serializers.ChoiceField(choices=Metric.choices)
    record_type = serializers.CharField(max_length=50, default="incident")
    priorities = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=5), required=False)
    service = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.services(), allow_null=True,
                                                 required=False)
    goal = serializers.DurationField(required=False, help_text='A business duration, e.g. "04:00:00" or "P1DT2H" '
                                     '(goal_kind "duration"; unused by a relative goal).')
    goal_kind = serializers.ChoiceField(choices=GoalKind.choices, required=False, help_text=(
        '"duration" (default), or a due instant relative to the start on the target\'s calendar: '
        '"end_of_business_day" (end of the goal_days-th business day), "business_day_at" (goal_time on '
        'the goal_days-th business day), "next_business_instant".'))
    goal_days = serializers.IntegerField(required=False, min_value=0, max_value=30,
                                         help_text="For a relative goal: the Nth business day after the start "
                                                   "(0: the start's own day).")
    goal_time = serializers.TimeField(required=False, allow_null=True,
                                      help_text='For "business_day_at": the time of day, in the calendar\'s zone.')
    calendar = serializers.PrimaryKeyRelatedField(queryset=Calendar.objects.all())
    pause_states = serializers.ListField(child=serializers.CharField(max_length=40), required=False)
    escalations = EscalationStepSerializer(many=True, required=False)
    kind = serializers.ChoiceField(choices=TargetKind.choices, required=False,
                                   help_text='"sla" (default) or "ola" (an assignment group\'s, with `team`).')
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), allow_null=True, required=False,
                                              help_text="For an operational level target: the group whose time it "
                                                        "measures; null: every group.")
    restart = serializers.ChoiceField(choices=Restart.choices, required=False, help_text=RESTART_HELP)
    cycle_counting = serializers.ChoiceField(choices=CycleCounting.choices, required=False,
                                             help_text=CYCLE_COUNTING_HELP)
    reopen_continues = serializers.BooleanField(required=False, help_text=(
        'Deprecated: true is `restart` "continue", false "none"; ignored when `restart` is given.'))

    def validate(self, data):
        if "escalations" in data:
            data["escalations"] = [{"percent": step["percent"], "actions": [dict(a) for a in step["actions"]]}
                                   for step in data["escalations"]]
        continues = data.pop("reopen_continues", None)
        if continues is not None and "restart" not in data:
            data["restart"] = Restart.CONTINUE if continues else Restart.NONE
        return data


# --- timers and breaches ----------------------------------------------------------------------

class TimerEventSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = TimerEvent
        fields = ["kind", "kind_label", "at", "cause", "elapsed", "data"]


ISO_DURATION = "iso-8601"


class TimerLiveSerializer(serializers.Serializer):
    """A timer's numbers as of the request (`as_of`), not as of its last change or sweep:
    durations in ISO 8601 as Django writes them (a goal of 37 h 30 min is "P1DT13H30M00S", a
    day being 24 hours there, not a business day)."""

    as_of = serializers.DateTimeField(help_text="The instant these numbers are counted up to (the request's).")
    goal = serializers.DurationField(format=ISO_DURATION, help_text="The goal in business time, ISO 8601.")
    elapsed = serializers.DurationField(format=ISO_DURATION,
                                        help_text="Business time elapsed up to `as_of` (pauses excluded).")
    remaining = serializers.DurationField(format=ISO_DURATION,
                                          help_text="Business time left before the goal (zero once reached).")
    percent = serializers.FloatField(help_text="Elapsed as a share of the goal, in percent (one decimal; above 100 "
                                               "when exceeded).")
    paused_business = serializers.DurationField(
        format=ISO_DURATION, help_text="Business time (on the timer's calendar version) during which the clock was "
                                       "paused, up to `as_of`.")
    paused_actual = serializers.DurationField(
        format=ISO_DURATION, help_text="Wall-clock time during which the clock was paused, up to `as_of`.")
    due_at = serializers.DateTimeField(allow_null=True, help_text="When elapsed reaches the goal if the clock keeps "
                                                                  "running; null while paused or stopped.")
    breached_at = serializers.DateTimeField(allow_null=True, help_text="The breach instant, if breached.")

    def to_representation(self, instance):
        now = self.context.get("now") if self.context else None
        return super().to_representation(explain.live_numbers(instance, now))


class TimerCycleSerializer(serializers.Serializer):
    """One cycle of a timer's key (metric and scope), as stored (not counted up to now)."""

    id = serializers.IntegerField()
    cycle = serializers.IntegerField()
    is_current = serializers.BooleanField()
    counts = serializers.BooleanField(help_text="Counted in attainment, as the target's counting option says.")
    state = serializers.CharField()
    started_at = serializers.DateTimeField()
    stopped_at = serializers.DateTimeField(allow_null=True)
    elapsed = serializers.DurationField(help_text="Stored elapsed business time, counted up to the cycle's stop "
                                                  "(or its last change while it runs).")
    goal = serializers.DurationField()
    breached_at = serializers.DateTimeField(allow_null=True)


class TimerSerializer(serializers.ModelSerializer):
    record_type = serializers.SerializerMethodField()
    record_number = serializers.SerializerMethodField()
    kind = serializers.CharField(read_only=True, help_text='"sla": the customer\'s service level timer; "ola": an '
                                                          'assignment group\'s operational level timer.')
    ola_team_name = serializers.SerializerMethodField(help_text="The operational level timer's group (null for "
                                                                "the customer's).")
    cycles = serializers.SerializerMethodField(help_text=(
        "Every cycle of this timer's key (same record, metric and scope), first to last, this one included: "
        "each with its own start, elapsed time, outcome and breach."))
    target_version = serializers.IntegerField(source="target.version", read_only=True)
    calendar = serializers.IntegerField(source="calendar_version.calendar_id", read_only=True,
                                        help_text="The calendar the timer counts on (id).")
    calendar_version = serializers.IntegerField(source="calendar_version.number", read_only=True,
                                                help_text="The version of that calendar the timer counts on.")
    live = TimerLiveSerializer(source="*", read_only=True, help_text=(
        "The numbers as of now: elapsed, remaining, percentage, pause durations (business and actual) and the due "
        "instant; `elapsed` beside it is the stored value, counted up to `counted_until`."))

    class Meta:
        model = Timer
        fields = ["id", "record_type", "object_id", "record_number", "metric", "kind", "ola_team", "ola_team_name",
                  "cycle", "is_current", "counts", "cycles", "state", "running", "pause_reason",
                  "target", "target_version", "calendar", "calendar_version", "goal", "elapsed", "counted_until",
                  "started_at", "stopped_at", "due_at", "breached_at", "customer", "team", "priority", "live"]

    def get_record_type(self, obj) -> str | None:
        return self.context.get("record_types", {}).get(obj.content_type_id)

    def get_ola_team_name(self, obj) -> str | None:
        return obj.ola_team.name if obj.ola_team_id else None  # selected with the timer

    @extend_schema_field(TimerCycleSerializer(many=True))
    def get_cycles(self, obj) -> list[dict]:
        """Read for the whole page at once by the view (`cycles` in the context: one query)."""
        cycles = self.context.get("cycles")
        if cycles is None:
            from ..selectors import cycles_of

            cycles = cycles_of([obj])
        return TimerCycleSerializer(cycles.get(timer_key(obj), []), many=True).data

    def get_record_number(self, obj) -> str | None:
        record = obj.record  # prefetched per content type by the view
        return getattr(record, "number", None) if record is not None else None


class TimerDetailSerializer(TimerSerializer):
    events = TimerEventSerializer(many=True, read_only=True, source="event_list",
                                  help_text="The explanation of the clock, in order.")

    class Meta(TimerSerializer.Meta):
        fields = [*TimerSerializer.Meta.fields, "events"]


class IcsImportInputSerializer(StrictInputSerializer):
    content = serializers.CharField(help_text="The text of an iCalendar (.ics) file; every event becomes a closed day.")


class CalendarImportResultSerializer(serializers.Serializer):
    imported = serializers.IntegerField(help_text="Closed days declared.")
    calendar_version = serializers.IntegerField()


class RecomputeInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=300, help_text="Recorded on every timer that changes.")


class RecomputeResultSerializer(serializers.Serializer):
    recomputed = serializers.IntegerField(help_text="Live timers moved to the current versions.")
