"""Serializers of the schedule API. Input serializers check the shape (and turn ids into
objects); changes.services.windows, .states and .conflicts decide what is allowed and write."""

from django.utils.translation import gettext as _
from rest_framework import serializers

from config_items.api.serializers import CIBriefSerializer
from config_items.models import ConfigurationItem
from itsm.api.serializers import ChoiceLabelField, OutputModelSerializer, StrictInputSerializer, UserBriefSerializer
from itsm.inputs import MAX_ROW_ID

from ..calendar import MAX_RANGE
from ..choices import ChangeState, ConflictKind, WindowKind
from ..models import Change, ChangeConflict, ScheduleWindow
from .serializers import InstantField


class WindowSerializer(OutputModelSerializer):
    kind_label = ChoiceLabelField(source="kind", choices=WindowKind.choices)
    service = CIBriefSerializer(read_only=True)
    ci = CIBriefSerializer(read_only=True)

    class Meta:
        model = ScheduleWindow
        fields = ["id", "kind", "kind_label", "name", "reason", "service", "ci", "start", "end", "rrule",
                  "time_zone", "is_active", "version"]


class WindowInputSerializer(StrictInputSerializer):
    kind = serializers.ChoiceField(choices=WindowKind.choices)
    name = serializers.CharField(max_length=200)
    reason = serializers.CharField(required=False, allow_blank=True)
    service = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all(), required=False,
                                                 allow_null=True, help_text="A service CI; none: everywhere "
                                                 "(blackout windows only)")
    ci = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all(), required=False,
                                            allow_null=True, help_text="Maintenance windows of one CI")
    start = InstantField(help_text="The first occurrence's start, with its UTC offset")
    end = InstantField(help_text="The first occurrence's end, with its UTC offset")
    rrule = serializers.CharField(required=False, allow_blank=True, max_length=500,
                                  help_text="An iCalendar RRULE body (FREQ=WEEKLY;BYDAY=SA); empty: one-off")
    time_zone = serializers.CharField(required=False, max_length=64,
                                      help_text="The zone whose wall clock a recurring window follows")
    is_active = serializers.BooleanField(required=False)


class ChangeRefSerializer(OutputModelSerializer):
    state_label = ChoiceLabelField(source="state", choices=ChangeState.choices)

    class Meta:
        model = Change
        fields = ["id", "number", "short_description", "state", "state_label", "planned_start", "planned_end"]


class ConflictSerializer(OutputModelSerializer):
    kind_label = ChoiceLabelField(source="kind", choices=ConflictKind.choices)
    cause = serializers.CharField(source="detail", read_only=True)
    other_change = ChangeRefSerializer(read_only=True)
    window = serializers.PrimaryKeyRelatedField(read_only=True)
    ci = CIBriefSerializer(read_only=True)
    overridden_by = UserBriefSerializer(read_only=True)
    policy = serializers.SerializerMethodField(help_text="block, override or warn")

    class Meta:
        model = ChangeConflict
        fields = ["id", "kind", "kind_label", "key", "cause", "policy", "blocking", "needs_override", "other_change",
                  "window", "ci", "starts_at", "ends_at", "detected_at", "overridden_at", "overridden_by",
                  "override_reason"]

    def get_policy(self, obj) -> str:
        return "block" if obj.blocking else "override" if obj.needs_override else "warn"


class ChangeConflictsSerializer(serializers.Serializer):
    """A change's current conflicts and the override it was scheduled with."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    state = serializers.CharField()
    planned_start = serializers.DateTimeField(allow_null=True)
    planned_end = serializers.DateTimeField(allow_null=True)
    may_schedule = serializers.BooleanField(help_text="No blocking conflict, and none waiting for an override")
    conflicts = ConflictSerializer(many=True)
    conflict_override_reason = serializers.CharField()
    conflict_overridden_by = UserBriefSerializer(allow_null=True)
    conflict_overridden_at = serializers.DateTimeField(allow_null=True)


class ScheduleInputSerializer(StrictInputSerializer):
    planned_start = InstantField()
    planned_end = InstantField()
    override_reason = serializers.CharField(required=False, allow_blank=True, default="",
                                            help_text="Why the change goes ahead despite conflicts that need "
                                                      "an override")
    reason = serializers.CharField(required=False, allow_blank=True, default="",
                                   help_text="A note for the history")


class OverrideInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(allow_blank=True, help_text="Why the change goes ahead despite its conflicts")


class CalendarQuerySerializer(serializers.Serializer):
    start = InstantField(help_text="The range's start (FullCalendar's `start`), with its offset")
    end = InstantField(help_text="The range's end; at most 100 days after the start")
    service = serializers.IntegerField(required=False, min_value=0, max_value=MAX_ROW_ID,
                                       help_text="Affected or impacted service id")
    group = serializers.IntegerField(required=False, min_value=0, max_value=MAX_ROW_ID,
                                     help_text="Assignment group id")
    ci = serializers.IntegerField(required=False, min_value=0, max_value=MAX_ROW_ID, help_text="CI id")

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": _("The end must be after the start.")})
        if attrs["end"] - attrs["start"] > MAX_RANGE:
            raise serializers.ValidationError({"end": _("Ask for at most %(days)d days at a time.") % {
                "days": MAX_RANGE.days}})
        return attrs


class CalendarEventsSerializer(serializers.Serializer):
    changes = serializers.ListField(child=serializers.ListField(), help_text=(
        "One row per change (not cancelled) whose planned window meets the range, earliest first: "
        "[id, number, short_description, state, risk (\"\" when not assessed), change_model, start, end], "
        "instants in milliseconds since the epoch"))
    windows = serializers.ListField(child=serializers.ListField(), help_text=(
        "One row per occurrence of an active blackout or maintenance window meeting the range: "
        "[window id, name, kind, service or CI name (\"\" when global), start, end]"))
    columns = serializers.DictField(help_text="The names of the rows' columns: {\"changes\": [...], \"windows\": [...]}")
    labels = serializers.DictField(help_text="The words of the codes: {\"state\": {code: label}, \"risk\": ..., "
                                             "\"model\": ..., \"kind\": ...}")
    change_url = serializers.CharField(help_text="A change's page, {id} to be replaced")
    truncated = serializers.BooleanField(help_text="More changes than the calendar sends for one range")
