"""Serializers of the catalogue and risk API. Input serializers only check the shape (and turn ids
into objects); changes.services.catalogue and .risk decide what is allowed and write."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from config_items.api.serializers import CIBriefSerializer, TeamBriefSerializer
from config_items.models import ConfigurationItem
from itsm.api.serializers import ChoiceLabelField, OutputModelSerializer, StrictInputSerializer, UserBriefSerializer
from itsm.inputs import MAX_ROW_ID
from itsm.models import Team

from ..choices import ChangeSource, RiskLevel
from ..models import ChangeCategory, RiskOption, RiskQuestion, RiskThreshold, StandardChangeTemplate
from ..services.catalogue import template_usable
from .serializers import ChangeCategoryBriefSerializer

User = get_user_model()


class RowRelatedField(serializers.PrimaryKeyRelatedField):
    """An id of a row: a number no database column can hold is "not found" (not a server error)."""

    def to_internal_value(self, data):
        if type(data) is int and not 0 < data <= MAX_ROW_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


# --- categories -----------------------------------------------------------------------------------

class ChangeCategorySerializer(OutputModelSerializer):
    class Meta:
        model = ChangeCategory
        fields = ["id", "name", "description", "is_active"]


class ChangeCategoryInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


# --- templates ------------------------------------------------------------------------------------

class TemplateSerializer(OutputModelSerializer):
    category = ChangeCategoryBriefSerializer(read_only=True)
    assignment_group = TeamBriefSerializer(read_only=True)
    approved_by = UserBriefSerializer(read_only=True)
    services = serializers.SerializerMethodField()
    risk_label = ChoiceLabelField(source="risk", choices=RiskLevel.choices)
    usable = serializers.SerializerMethodField(help_text="Whether a standard change may be raised from it now.")
    unusable_reason = serializers.SerializerMethodField(
        help_text="Why not (retired, not approved, edited since its approval, approval lapsed); empty when usable.")

    class Meta:
        model = StandardChangeTemplate
        fields = ["id", "name", "description", "category", "short_description", "implementation_plan",
                  "backout_plan", "test_plan", "risk", "risk_label", "services", "assignment_group",
                  "duration_minutes", "approved_by", "approved_at", "approval_notes", "review_date", "is_active",
                  "usable", "unusable_reason", "version"]

    def get_services(self, obj) -> list[dict]:
        services = getattr(obj, "service_list", None)  # prefetched by the API's queryset
        return CIBriefSerializer(obj.services.all() if services is None else services, many=True).data

    def get_usable(self, obj) -> bool:
        return template_usable(obj) is None

    def get_unusable_reason(self, obj) -> str:
        return template_usable(obj) or ""


class TemplateInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    category = RowRelatedField(queryset=ChangeCategory.objects.all(), required=False,
                                                  allow_null=True)
    short_description = serializers.CharField(max_length=200)
    implementation_plan = serializers.CharField()
    backout_plan = serializers.CharField()
    test_plan = serializers.CharField()
    risk = serializers.ChoiceField(choices=RiskLevel.choices, required=False)
    services = RowRelatedField(queryset=ConfigurationItem.objects.all(), many=True,
                                                  required=False)
    assignment_group = RowRelatedField(queryset=Team.objects.all(), required=False,
                                                          allow_null=True)
    duration_minutes = serializers.IntegerField(required=False, min_value=1, max_value=60 * 24 * 30)
    review_date = serializers.DateField(required=False, help_text="Only when creating; approving sets it after.")
    is_active = serializers.BooleanField(required=False)


class TemplateApproveInputSerializer(StrictInputSerializer):
    review_date = serializers.DateField(help_text="Until when the approval holds (after it, approve again).")
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class TemplateRetireInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)


# --- risk questionnaire ---------------------------------------------------------------------------

class RiskOptionSerializer(OutputModelSerializer):
    question = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = RiskOption
        fields = ["id", "question", "text", "weight", "order"]


class RiskQuestionSerializer(OutputModelSerializer):
    options = serializers.SerializerMethodField()

    class Meta:
        model = RiskQuestion
        fields = ["id", "text", "help_text", "order", "is_active", "options"]

    def get_options(self, obj) -> list[dict]:
        options = getattr(obj, "option_list", None)  # prefetched by the API's queryset
        return RiskOptionSerializer(obj.options.all() if options is None else options, many=True).data


class RiskOptionInputSerializer(StrictInputSerializer):
    text = serializers.CharField(max_length=200)
    weight = serializers.IntegerField(min_value=0, max_value=1_000_000)
    order = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)


class RiskOptionCreateSerializer(RiskOptionInputSerializer):
    question = RowRelatedField(queryset=RiskQuestion.objects.all())


class RiskQuestionInputSerializer(StrictInputSerializer):
    text = serializers.CharField(max_length=300)
    help_text = serializers.CharField(required=False, allow_blank=True)
    order = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)
    is_active = serializers.BooleanField(required=False)
    options = RiskOptionInputSerializer(many=True, required=False, help_text="Only when creating.")


class RiskThresholdSerializer(OutputModelSerializer):
    level_label = ChoiceLabelField(source="level", choices=RiskLevel.choices)

    class Meta:
        model = RiskThreshold
        fields = ["id", "level", "level_label", "min_score"]


class RiskThresholdInputSerializer(StrictInputSerializer):
    level = serializers.ChoiceField(choices=RiskLevel.choices, help_text="Only when creating.")
    min_score = serializers.IntegerField(min_value=0, max_value=1_000_000)


# --- raising from a template, assessing a change --------------------------------------------------

class FromTemplateInputSerializer(StrictInputSerializer):
    template = RowRelatedField(queryset=StandardChangeTemplate.objects.all())
    short_description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    planned_start = serializers.DateTimeField(required=False, allow_null=True)
    planned_end = serializers.DateTimeField(required=False, allow_null=True)
    cis = RowRelatedField(queryset=ConfigurationItem.objects.all(), many=True, required=False)
    implementer = RowRelatedField(queryset=User.objects.filter(is_active=True), required=False,
                                                     allow_null=True)
    assignment_group = RowRelatedField(queryset=Team.objects.all(), required=False,
                                                          allow_null=True)
    requester = RowRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    schedule = serializers.BooleanField(required=False, default=False,
                                        help_text="Schedule it at once in its planned window (standard changes "
                                                  "skip authorisation); refused: nothing is created.")
    source = serializers.ChoiceField(choices=[ChangeSource.TEMPLATE, ChangeSource.PIPELINE], required=False,
                                     default=ChangeSource.TEMPLATE)


class RiskAssessInputSerializer(StrictInputSerializer):
    answers = serializers.DictField(child=serializers.IntegerField(min_value=1, max_value=MAX_ROW_ID),
                                    help_text="{question id: answer (option) id} for every active question.")


class RiskAnswerExplanationSerializer(serializers.Serializer):
    question = serializers.IntegerField()
    question_text = serializers.CharField()
    option = serializers.IntegerField()
    option_text = serializers.CharField()
    weight = serializers.IntegerField(help_text="The weight when answered (counted in the score).")
    current_weight = serializers.IntegerField(help_text="The answer's weight today.")


class RiskThresholdExplanationSerializer(serializers.Serializer):
    level = serializers.CharField()
    label = serializers.CharField()
    min_score = serializers.IntegerField()
    met = serializers.BooleanField(help_text="The score is at least this threshold's.")
    reached = serializers.BooleanField(help_text="The level the change's risk is.")


class ImpactedServiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    name = serializers.CharField()
    customers = serializers.IntegerField()


class ImpactExplanationSerializer(serializers.Serializer):
    impact = serializers.IntegerField(help_text="1 high, 2 medium, 3 low.")
    impact_label = serializers.CharField()
    customers = serializers.IntegerField(help_text="Customers of the impacted services (each once).")
    services = ImpactedServiceSerializer(many=True)
    service_count = serializers.IntegerField()
    customers_for_high = serializers.IntegerField()
    customers_for_medium = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())


class TemplateRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class RiskExplanationSerializer(serializers.Serializer):
    risk = serializers.CharField(help_text="Empty until assessed.")
    risk_label = serializers.CharField()
    assessed = serializers.BooleanField()
    assessed_at = serializers.DateTimeField(allow_null=True)
    basis = serializers.ChoiceField(choices=["questionnaire", "template"])
    template = TemplateRefSerializer(allow_null=True)
    score = serializers.IntegerField(allow_null=True)
    answers = RiskAnswerExplanationSerializer(many=True)
    thresholds = RiskThresholdExplanationSerializer(many=True)
    impact = ImpactExplanationSerializer()
    reasons = serializers.ListField(child=serializers.CharField())
