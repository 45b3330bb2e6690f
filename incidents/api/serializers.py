"""Incident API serializers. Output and input are apart: input serializers only validate the
shape of a request (and turn ids into objects); incidents.services decide what is allowed and write."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from config_items.api.serializers import CIBriefSerializer, CustomerBriefSerializer, TeamBriefSerializer
from config_items.models import ConfigurationItem
from itsm.api.serializers import (
    ChoiceLabelField,
    OutputModelSerializer,
    ReadTogetherField,
    StrictInputSerializer,
    UserBriefSerializer,
)
from itsm.models import Attachment, Customer, Team

from ..choices import Channel, Impact, IncidentState, Priority, Urgency
from ..models import AssignmentRule, Category, Incident

User = get_user_model()
# Impact and urgency share one scale: plain integers (one set of choices under two names would
# be two identical enums in the schema).
IMPACT_HELP = "1 high, 2 medium, 3 low."
URGENCY_HELP = "1 high, 2 medium, 3 low."


def _level(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=3, required=False, **kwargs)


# --- output -------------------------------------------------------------------------------------

class CategoryBriefSerializer(OutputModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name"]


class IncidentBriefSerializer(serializers.ModelSerializer):
    """An incident named in another answer (children, a parent)."""

    class Meta:
        model = Incident
        fields = ["id", "number", "short_description", "state", "priority"]


class IncidentSerializer(OutputModelSerializer):
    caller = UserBriefSerializer(read_only=True)
    customer = CustomerBriefSerializer(read_only=True)
    service = CIBriefSerializer(read_only=True)
    category = CategoryBriefSerializer(read_only=True)
    subcategory = CategoryBriefSerializer(read_only=True)
    assignment_group = TeamBriefSerializer(read_only=True)
    assignee = UserBriefSerializer(read_only=True)
    state_label = ChoiceLabelField(source="state", choices=IncidentState.choices)
    priority_label = ChoiceLabelField(source="priority", choices=Priority.choices)
    impact_label = ChoiceLabelField(source="impact", choices=Impact.choices)
    urgency_label = ChoiceLabelField(source="urgency", choices=Urgency.choices)
    impact = serializers.IntegerField(read_only=True, help_text=IMPACT_HELP)
    urgency = serializers.IntegerField(read_only=True, help_text=URGENCY_HELP)
    cis = serializers.SerializerMethodField(help_text="Ids of the affected CIs.")
    parent = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id", "number", "short_description", "description", "caller", "contact_name", "contact_email",
            "contact_phone", "customer", "service", "cis", "category", "subcategory", "impact", "impact_label",
            "urgency", "urgency_label", "priority", "priority_label", "assignment_group", "assignee", "channel",
            "state", "state_label", "on_hold_reason", "resolution_code", "resolution_notes", "opened_at",
            "first_response_at", "resolved_at", "closed_at", "reopen_count", "reassignment_count", "parent",
            "is_major", "major_reason", "correlation_key", "alert_count", "external_id", "version",
            "created_at", "updated_at",
        ]

    def get_cis(self, obj) -> list[int]:
        # The API's queryset prefetches them into `ci_list` (no query per row); an incident read
        # otherwise costs one query.
        cis = getattr(obj, "ci_list", None)
        return sorted(ci.pk for ci in (obj.cis.all() if cis is None else cis))


class IncidentDetailSerializer(IncidentSerializer):
    allowed_transitions = serializers.SerializerMethodField(
        help_text="Workflow steps the caller may take now (names for POST transition/).")

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "allowed_transitions"]

    def get_allowed_transitions(self, obj) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return [t.name for t in Incident.workflow.available(obj, request.user)]


class AlertResultSerializer(IncidentSerializer):
    created = serializers.SerializerMethodField(
        help_text="false when the alert joined an open incident with the same correlation key.")

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "created"]

    def get_created(self, obj) -> bool:
        return bool(self.context.get("created"))


class AttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = UserBriefSerializer(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "filename", "mime_type", "size", "sha256", "uploaded_by", "uploaded_at", "download_url"]

    def get_download_url(self, obj) -> str:
        from django.urls import reverse

        return reverse("api:incidents:incident-attachment-download", kwargs={"pk": obj.pk})


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Category
        fields = ["id", "name", "parent", "is_active"]


class AssignmentRuleSerializer(OutputModelSerializer):
    service = CIBriefSerializer(read_only=True)
    category = CategoryBriefSerializer(read_only=True)
    assignment_group = TeamBriefSerializer(read_only=True)

    class Meta:
        model = AssignmentRule
        fields = ["id", "name", "service", "category", "assignment_group", "order", "is_active", "version"]


class PriorityRuleSerializer(serializers.Serializer):
    impact = serializers.IntegerField()
    urgency = serializers.IntegerField()
    priority = serializers.IntegerField()
    priority_label = serializers.CharField()


# --- input --------------------------------------------------------------------------------------

def _related(queryset, **kwargs):
    return ReadTogetherField(queryset=queryset, required=False, allow_null=True, **kwargs)


class IncidentInputSerializer(StrictInputSerializer):
    """What the service desk sets (a requester may send only the portal fields: short_description,
    description, service, urgency, contact_phone; the service refuses the rest)."""

    READ_TOGETHER = (("caller", "assignee"), ("category", "subcategory"))  # one query per pair

    short_description = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    caller = _related(User.objects.filter(is_active=True))
    contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    customer = _related(Customer.objects.all())
    # With its type: the service checks that it is a service (one query, not two).
    service = _related(ConfigurationItem.objects.select_related("ci_type"), help_text="A service CI's id.")
    cis = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all(), many=True, required=False,
                                             help_text="Ids of the affected CIs.")
    category = _related(Category.objects.all())
    subcategory = _related(Category.objects.all())
    impact = _level(help_text=IMPACT_HELP)
    urgency = _level(help_text=URGENCY_HELP)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    parent = _related(Incident.objects.all(), help_text="The parent incident's id.")
    assignment_group = _related(Team.objects.all())
    assignee = _related(User.objects.filter(is_active=True))


class IncidentCreateInputSerializer(IncidentInputSerializer):
    correlation_key = serializers.CharField(max_length=200, required=False, allow_blank=True)


class AssignInputSerializer(StrictInputSerializer):
    assignment_group = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), allow_null=True)
    assignee = _related(User.objects.filter(is_active=True))
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


# Takes no fields of its own: only the optional `version` precondition that every strict input
# accepts; anything else is refused as unknown. (A comment, not a docstring: it would change the schema.)
class AssignToMeInputSerializer(StrictInputSerializer):
    pass


class MajorInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the incident is (no longer) major.")


class CommunicationInputSerializer(StrictInputSerializer):
    body = serializers.CharField(max_length=20000)
    audience = serializers.CharField(max_length=100, required=False, default="stakeholders")


class AttachmentInputSerializer(StrictInputSerializer):
    file = serializers.FileField(
        help_text="Size and type limits: ATTACHMENT_MAX_BYTES, ATTACHMENT_ALLOWED_EXTENSIONS.")


class AlertInputSerializer(StrictInputSerializer):
    """A monitoring alert; `correlation_key` groups repeats of one fault into one open incident."""

    correlation_key = serializers.CharField(max_length=200)
    short_description = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    service = _related(ConfigurationItem.objects.select_related("ci_type"))
    cis = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all(), many=True, required=False)
    impact = _level(help_text=IMPACT_HELP)
    urgency = _level(help_text=URGENCY_HELP)
    assignment_group = _related(Team.objects.all())
    category = _related(Category.objects.all())
    customer = _related(Customer.objects.all())
    contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=50, required=False, allow_blank=True)


class CategoryInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    parent = _related(Category.objects.all())
    is_active = serializers.BooleanField(required=False)


class AssignmentRuleInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    service = _related(ConfigurationItem.objects.select_related("ci_type"),
                       help_text="A service CI's id; null: any service.")
    category = _related(Category.objects.all(), help_text="A category or subcategory id; null: any category.")
    assignment_group = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    order = serializers.IntegerField(min_value=0, max_value=32767, required=False,
                                     help_text="Among equally specific rules, the lowest order wins.")
    is_active = serializers.BooleanField(required=False)


class PriorityRuleInputSerializer(StrictInputSerializer):
    impact = serializers.IntegerField(min_value=1, max_value=3, help_text=IMPACT_HELP)
    urgency = serializers.IntegerField(min_value=1, max_value=3, help_text=URGENCY_HELP)
    priority = serializers.IntegerField(min_value=1, max_value=5, help_text="1 (critical) to 5 (planning).")


class ImportQuerySerializer(StrictInputSerializer):
    dry_run = serializers.BooleanField(default=False)


class ImportFileInputSerializer(StrictInputSerializer):
    file = serializers.FileField(help_text="A UTF-8 CSV file, or a JSON list of rows.")
    dry_run = serializers.BooleanField(default=False)


class ImportRowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    external_id = serializers.CharField()
    errors = serializers.ListField(child=serializers.CharField())


class ImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    written = serializers.BooleanField()
    created = serializers.ListField(child=serializers.DictField(), help_text="{line, external_id, number}")
    errors = ImportRowErrorSerializer(many=True)



# --- SLA timers ---------------------------------------------------------------------------------

class TimerEventSerializer(serializers.Serializer):
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    at = serializers.DateTimeField()
    cause = serializers.CharField()
    elapsed = serializers.DurationField(help_text="Elapsed business time at this point.")
    data = serializers.JSONField()


class CountedSegmentSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class RunningIntervalSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(help_text="Now, when the clock is still running.")
    ongoing = serializers.BooleanField()
    counted = serializers.DurationField(help_text="Business time counted in this interval.")
    segments = CountedSegmentSerializer(many=True, help_text="The calendar segments counted (the first 20).")
    more_segments = serializers.IntegerField(help_text="Segments counted beyond those listed.")


class TimerTargetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    agreement = serializers.CharField(source="agreement.name")
    calendar = serializers.CharField(source="calendar.name")


class IncidentTimerSerializer(serializers.Serializer):
    """One SLA timer of the incident as of now, with its explanation: every cycle of every key
    (metric, and the customer's service level or one assignment group's operational level)."""

    id = serializers.IntegerField()
    metric = serializers.CharField()
    kind = serializers.CharField(help_text='"sla": the customer\'s service level; "ola": an assignment group\'s '
                                           'operational level timer (reported apart).')
    ola_team = serializers.IntegerField(source="ola_team_id", allow_null=True,
                                        help_text="The operational level timer's group (null for the customer's).")
    ola_team_name = serializers.CharField(source="ola_team.name", allow_null=True, default=None)
    cycle = serializers.IntegerField(help_text="The cycle of its key (1 unless its target restarts).")
    is_current = serializers.BooleanField(help_text="The current cycle of its key (earlier cycles are finished).")
    counts = serializers.BooleanField(help_text="Counted in attainment, as the target's counting option says.")
    cycle_text = serializers.SerializerMethodField(help_text='Which cycle, in words ("Cycle 2, started again on '
                                                             'reopening").')
    scope_text = serializers.SerializerMethodField(help_text='Whose clock, in words ("Operational level of '
                                                             'Network").')
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    target = TimerTargetSerializer()
    calendar_version = serializers.IntegerField(source="calendar_version.number")
    goal = serializers.DurationField()
    elapsed = serializers.SerializerMethodField(help_text="Elapsed business time now (ISO 8601 / [D] HH:MM:SS).")
    remaining = serializers.SerializerMethodField()
    percent = serializers.SerializerMethodField()
    running = serializers.BooleanField()
    pause_reason = serializers.CharField()
    started_at = serializers.DateTimeField()
    stopped_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True, help_text="Null while the clock is paused or stopped.")
    breached_at = serializers.DateTimeField(allow_null=True)
    events = serializers.SerializerMethodField()
    intervals = serializers.SerializerMethodField()

    def _clock(self, timer):
        from slas.explain import clock

        return clock(timer, self.context.get("now"))

    def get_elapsed(self, timer) -> str:
        return serializers.DurationField().to_representation(self._clock(timer).elapsed)

    def get_remaining(self, timer) -> str:
        return serializers.DurationField().to_representation(self._clock(timer).remaining)

    def get_percent(self, timer) -> float:
        return self._clock(timer).percent

    def _explanation(self, timer):
        from slas.explain import explain

        cache = self.context.setdefault("explanations", {})
        if timer.pk not in cache:
            cache[timer.pk] = explain(timer, self.context.get("now"))
        return cache[timer.pk]

    def get_events(self, timer) -> list[dict]:
        return TimerEventSerializer(self._explanation(timer).events, many=True).data

    def get_cycle_text(self, timer) -> str:
        return self._explanation(timer).cycle_text

    def get_scope_text(self, timer) -> str:
        return self._explanation(timer).scope_text

    def get_intervals(self, timer) -> list[dict]:
        rows = [{"start": i.start, "end": i.end, "ongoing": i.ongoing, "counted": i.counted,
                 "segments": [{"start": s, "end": e} for s, e in i.segments], "more_segments": i.more_segments}
                for i in self._explanation(timer).intervals]
        return RunningIntervalSerializer(rows, many=True).data
