"""SLA API serializers: input and output kept apart; services write."""

from rest_framework import serializers

from itsm.api.serializers import StrictInputSerializer

from ..choices import DayKind
from ..models import Calendar, CalendarDay, CalendarVersion


class CalendarDaySerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name", "hours"]


class CalendarSerializer(serializers.ModelSerializer):
    days = CalendarDaySerializer(many=True, read_only=True)
    current_version = serializers.SerializerMethodField()

    class Meta:
        model = Calendar
        fields = ["id", "name", "time_zone", "weekly_hours", "country", "subdivision", "is_active", "days",
                  "current_version", "version", "created_at", "updated_at"]

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


class AddInputSerializer(StrictInputSerializer):
    start = serializers.DateTimeField(help_text="An instant with its offset, e.g. 2025-09-30T17:00:00+08:00.")
    duration = serializers.DurationField(help_text='Business time to add, e.g. "04:00:00" or "P1DT2H" (ISO 8601).')


class AddResultSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    duration = serializers.DurationField()
    due = serializers.DateTimeField()
    calendar_version = serializers.IntegerField()


class BetweenInputSerializer(StrictInputSerializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class BetweenResultSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    business_time = serializers.DurationField()
    business_seconds = serializers.FloatField()
    calendar_version = serializers.IntegerField()
