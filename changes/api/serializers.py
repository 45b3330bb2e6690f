"""Change API serializers of the records slice. Output and input are apart: input serializers
only validate the shape of a request (and turn ids into objects); changes.services decide what
is allowed and write. Other slices may name a change with ChangeBriefSerializer."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from rest_framework import serializers

from config_items.api.serializers import CIBriefSerializer, TeamBriefSerializer
from config_items.models import ConfigurationItem
from incidents.choices import Impact, IncidentState
from incidents.models import Incident
from itsm.api.serializers import (
    ChoiceLabelField,
    OutputModelSerializer,
    ReadTogetherField,
    StrictInputSerializer,
    TransitionInputSerializer,
    UserBriefSerializer,
)
from itsm.inputs import to_utc
from itsm.models import Attachment, Team
from problems.choices import ProblemState
from problems.models import Problem

from .. import selectors
from ..choices import ChangeModel, ChangeSource, ChangeState, CloseCode, RiskLevel
from ..models import Change, ChangeCategory, StandardChangeTemplate

User = get_user_model()


class InstantField(serializers.DateTimeField):
    """An ISO 8601 instant (a naive one is read in the server's zone), refused when its offset is
    beyond ±15:59 or it leaves the representable range in UTC (itsm.inputs.to_utc), as the
    filters refuse them."""

    def enforce_timezone(self, value):
        try:
            value = to_utc(value)
            return super().enforce_timezone(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        except (OverflowError, ValueError):
            raise serializers.ValidationError(self.error_messages["invalid"].format(format="ISO 8601")) from None


# --- output -------------------------------------------------------------------------------------

class ChangeCategoryBriefSerializer(OutputModelSerializer):
    class Meta:
        model = ChangeCategory
        fields = ["id", "name"]


class TemplateBriefSerializer(OutputModelSerializer):
    class Meta:
        model = StandardChangeTemplate
        fields = ["id", "name"]


class ChangeBriefSerializer(OutputModelSerializer):
    """A change named in another answer (an agenda item, a conflict, a link)."""

    state_label = ChoiceLabelField(source="state", choices=ChangeState.choices)
    change_model_label = ChoiceLabelField(source="change_model", choices=ChangeModel.choices)

    class Meta:
        model = Change
        fields = ["id", "number", "short_description", "change_model", "change_model_label", "state",
                  "state_label", "risk", "planned_start", "planned_end"]


class ImpactedServiceSerializer(OutputModelSerializer):
    customer_count = serializers.IntegerField(read_only=True, help_text="How many customers the service has.")

    class Meta:
        model = ConfigurationItem
        fields = ["id", "number", "name", "customer_count"]


class ChangeLinkedProblemSerializer(OutputModelSerializer):
    state_label = ChoiceLabelField(source="state", choices=ProblemState.choices)

    class Meta:
        model = Problem
        fields = ["id", "number", "short_description", "state", "state_label"]


class ChangeLinkedIncidentSerializer(OutputModelSerializer):
    state_label = ChoiceLabelField(source="state", choices=IncidentState.choices)

    class Meta:
        model = Incident
        fields = ["id", "number", "short_description", "state", "state_label", "priority", "opened_at"]


def _prefetched(obj, attr: str, field: str):
    """The relation `field` of `obj` as the API's queryset prefetched it (to `attr`), else read."""
    found = getattr(obj, attr, None)
    return getattr(obj, field).all() if found is None else found


class ChangeSerializer(OutputModelSerializer):
    category = ChangeCategoryBriefSerializer(read_only=True)
    template = TemplateBriefSerializer(read_only=True)
    requester = UserBriefSerializer(read_only=True)
    assignment_group = TeamBriefSerializer(read_only=True)
    implementer = UserBriefSerializer(read_only=True)
    conflict_overridden_by = UserBriefSerializer(read_only=True)
    change_model_label = ChoiceLabelField(source="change_model", choices=ChangeModel.choices)
    source_label = ChoiceLabelField(source="source", choices=ChangeSource.choices)
    state_label = ChoiceLabelField(source="state", choices=ChangeState.choices)
    risk_label = ChoiceLabelField(source="risk", choices=RiskLevel.choices)
    impact = serializers.IntegerField(read_only=True, help_text="1 high, 2 medium, 3 low.")
    impact_label = ChoiceLabelField(source="impact", choices=Impact.choices)
    close_code_label = ChoiceLabelField(source="close_code", choices=CloseCode.choices)
    services = serializers.SerializerMethodField(help_text="The affected services.")
    cis = serializers.SerializerMethodField(help_text="The affected CIs.")
    impacted_services = serializers.SerializerMethodField(
        help_text="Every service that depends on the affected CIs (CMDB), and the affected services.")
    problems = serializers.SerializerMethodField(help_text="The problems the change fixes.")
    caused_incidents = serializers.SerializerMethodField(help_text="The incidents the change caused.")

    class Meta:
        model = Change
        fields = [
            "id", "number", "short_description", "description", "justification", "change_model",
            "change_model_label", "category", "template", "source", "source_label", "requester", "assignment_group",
            "implementer", "services", "cis", "impacted_services", "impacted_customer_count", "risk", "risk_label",
            "risk_score", "risk_assessed_at", "impact", "impact_label", "implementation_plan", "backout_plan",
            "test_plan", "planned_start", "planned_end", "actual_start", "actual_end", "state", "state_label",
            "close_code", "close_code_label", "close_notes", "review_notes", "cancel_reason",
            "conflict_override_reason", "conflict_overridden_by", "conflict_overridden_at", "problems",
            "caused_incidents", "opened_at", "authorised_at", "scheduled_at", "reviewed_at", "closed_at", "version",
            "created_at", "updated_at",
        ]

    def get_services(self, obj) -> list[dict]:
        return CIBriefSerializer(_prefetched(obj, "service_list", "services"), many=True).data

    def get_cis(self, obj) -> list[dict]:
        return CIBriefSerializer(_prefetched(obj, "ci_list", "cis"), many=True).data

    def get_impacted_services(self, obj) -> list[dict]:
        services = getattr(obj, "impacted_service_list", None)
        if services is None:  # not read through changes.selectors.with_details
            services = selectors.with_details(Change.objects.filter(pk=obj.pk)).get().impacted_service_list
        return ImpactedServiceSerializer(services, many=True).data

    def get_problems(self, obj) -> list[dict]:
        return ChangeLinkedProblemSerializer(_prefetched(obj, "problem_list", "problems"), many=True).data

    def get_caused_incidents(self, obj) -> list[dict]:
        return ChangeLinkedIncidentSerializer(_prefetched(obj, "incident_list", "caused_incidents"), many=True).data


class ChangeDetailSerializer(ChangeSerializer):
    allowed_transitions = serializers.SerializerMethodField(
        help_text="Workflow steps the caller may take now (names for POST transition/).")

    class Meta(ChangeSerializer.Meta):
        fields = [*ChangeSerializer.Meta.fields, "allowed_transitions"]

    def get_allowed_transitions(self, obj) -> list[str]:
        request = self.context.get("request")
        return [step.name for step in selectors.available_steps(obj, request.user)] if request else []


class ChangeAttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = UserBriefSerializer(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "filename", "mime_type", "size", "sha256", "uploaded_by", "uploaded_at", "download_url"]

    def get_download_url(self, obj) -> str:
        return reverse("api:changes:change-attachment-download", kwargs={"pk": obj.pk})


class ChangeTimelineItemSerializer(serializers.Serializer):
    """One item of the change's timeline: a journal entry, or a version's field changes."""

    type = serializers.ChoiceField(choices=["journal", "history"])
    kind = serializers.CharField(help_text="The journal kind, or `history`.")
    label = serializers.CharField()
    when = serializers.DateTimeField()
    who = UserBriefSerializer(allow_null=True)
    body = serializers.CharField(help_text="A journal entry's text.")
    is_public = serializers.BooleanField()
    state_from = serializers.CharField(allow_null=True)
    state_to = serializers.CharField(allow_null=True)
    reason = serializers.CharField(help_text="Why the version was saved.")
    changes = serializers.ListField(child=serializers.DictField(), help_text="field, old, new (history).")


# --- input --------------------------------------------------------------------------------------

def _related(queryset, **kwargs):
    return ReadTogetherField(queryset=queryset, required=False, allow_null=True, **kwargs)


def _text(max_length=None):
    return serializers.CharField(required=False, allow_blank=True, max_length=max_length)


def _many(queryset, help_text):
    return serializers.PrimaryKeyRelatedField(queryset=queryset, many=True, required=False, help_text=help_text)


WINDOW_HELP = "An ISO 8601 instant, e.g. 2026-05-04T22:00:00+02:00."


class ChangeInputSerializer(StrictInputSerializer):
    """What people set on a change (changes.services.common.CREATE_FIELDS; `requester` only when
    raising it). Standard changes are raised from the catalogue."""

    READ_TOGETHER = (("requester", "implementer"),)

    short_description = serializers.CharField(max_length=200)
    description = _text()
    justification = _text()
    change_model = serializers.ChoiceField(choices=ChangeModel.choices, required=False)
    category = _related(ChangeCategory.objects.all())
    requester = _related(User.objects.filter(is_active=True), help_text="Defaults to the caller.")
    assignment_group = _related(Team.objects.all())
    implementer = _related(User.objects.filter(is_active=True))
    services = _many(ConfigurationItem.objects.select_related("ci_type"), "Ids of the affected services.")
    cis = _many(ConfigurationItem.objects.all(), "Ids of the affected CIs.")
    problems = _many(Problem.objects.all(), "Ids of the problems it fixes.")
    caused_incidents = _many(Incident.objects.all(), "Ids of the incidents it caused.")
    implementation_plan = _text()
    backout_plan = _text()
    test_plan = _text()
    planned_start = InstantField(required=False, allow_null=True, help_text=WINDOW_HELP)
    planned_end = InstantField(required=False, allow_null=True, help_text=WINDOW_HELP)


class ChangeTransitionDataSerializer(StrictInputSerializer):
    """The fields workflow steps ask for (see GET transitions/); a step uses only its own."""

    implementation_plan = _text()
    backout_plan = _text()
    test_plan = _text()
    planned_start = InstantField(required=False, allow_null=True, help_text=WINDOW_HELP)
    planned_end = InstantField(required=False, allow_null=True, help_text=WINDOW_HELP)
    close_code = serializers.ChoiceField(choices=CloseCode.choices, required=False, allow_blank=True)
    close_notes = _text()
    review_notes = _text()
    cancel_reason = _text()


class ChangeTransitionInputSerializer(TransitionInputSerializer):
    data = ChangeTransitionDataSerializer(required=False, default=dict, help_text="Fields the step asks for.")
    override_reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000,
        help_text="When scheduling despite conflicts that may be overridden: why the change goes ahead.")


class LinkProblemsInputSerializer(StrictInputSerializer):
    problems = serializers.PrimaryKeyRelatedField(queryset=Problem.objects.all(), many=True, allow_empty=False,
                                                  help_text="Problem ids.")


class UnlinkProblemInputSerializer(StrictInputSerializer):
    problem = serializers.PrimaryKeyRelatedField(queryset=Problem.objects.all(), help_text="A problem id.")


class LinkIncidentsInputSerializer(StrictInputSerializer):
    incidents = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all(), many=True, allow_empty=False,
                                                   help_text="Incident ids.")


class UnlinkIncidentInputSerializer(StrictInputSerializer):
    incident = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all(), help_text="An incident id.")


class ChangeAttachmentInputSerializer(StrictInputSerializer):
    file = serializers.FileField(help_text="Size and type limits: ATTACHMENT_MAX_BYTES, ATTACHMENT_ALLOWED_EXTENSIONS.")
