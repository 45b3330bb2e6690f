"""API serializers of proposed CI changes, unauthorised CI changes and exempt sources. Input
serializers only validate; the services write (changes.services.proposals, .unauthorised)."""

from rest_framework import serializers

from config_items.api.serializers import CIBriefSerializer
from config_items.models import ConfigurationItem, RelationshipType
from itsm.api.serializers import ChoiceLabelField, OutputModelSerializer, StrictInputSerializer, UserBriefSerializer

from ..choices import ExceptionState, ProposalKind
from ..models import Change, ExemptSource, ProposedCIChange, UnauthorisedChange
from .serializers import ChangeBriefSerializer


class ProposedCIChangeSerializer(OutputModelSerializer):
    change = ChangeBriefSerializer(read_only=True)
    ci = CIBriefSerializer(read_only=True)
    target = CIBriefSerializer(read_only=True, allow_null=True)
    relationship_type = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    kind_label = ChoiceLabelField(source="kind", choices=ProposalKind.choices)
    created_by = UserBriefSerializer(read_only=True)
    before = serializers.JSONField(read_only=True, allow_null=True)
    after = serializers.JSONField(read_only=True, allow_null=True)

    class Meta:
        model = ProposedCIChange
        fields = ["id", "change", "ci", "kind", "kind_label", "field", "before", "after", "relationship_type",
                  "target", "created_at", "created_by", "applied_at", "apply_error"]


class ProposedCIChangeInputSerializer(StrictInputSerializer):
    change = serializers.PrimaryKeyRelatedField(queryset=Change.objects.all())
    kind = serializers.ChoiceField(choices=ProposalKind.choices)
    ci = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all())
    field = serializers.CharField(required=False, allow_blank=True, max_length=100,
                                  help_text="A CI field (name, status, environment, description, owner_team) or "
                                            "attributes.<key>.")
    after = serializers.JSONField(required=False, allow_null=True,
                                  help_text="The new value; null or \"\" clears an attribute; a team by id or name.")
    relationship_type = serializers.SlugRelatedField(slug_field="slug", queryset=RelationshipType.objects.all(),
                                                     required=False)
    target = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all(), required=False)


class UnauthorisedChangeSerializer(OutputModelSerializer):
    ci = CIBriefSerializer(read_only=True)
    changed_by = UserBriefSerializer(read_only=True, allow_null=True)
    change = ChangeBriefSerializer(read_only=True, allow_null=True)
    resolved_by = UserBriefSerializer(read_only=True, allow_null=True)
    state_label = ChoiceLabelField(source="state", choices=ExceptionState.choices)
    fields = serializers.JSONField(read_only=True, help_text="{field: [before, after]}")

    class Meta:
        model = UnauthorisedChange
        fields = ["id", "ci", "history_id", "changed_at", "changed_by", "fields", "state", "state_label", "change",
                  "reason", "resolved_at", "resolved_by", "detected_at"]


class ResolveInputSerializer(StrictInputSerializer):
    change = serializers.CharField(required=False, allow_null=True, max_length=20,
                                   help_text="The change to link: its id or number (it must name the CI).")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000,
                                   help_text="Why it is accepted (required without a change).")

    def validate_change(self, value):
        if value in (None, ""):
            return None
        value = value.strip()
        found = Change.objects.filter(pk=int(value)) if value.isdigit() else Change.objects.filter(
            number=value.upper())
        change = found.first()
        if change is None:
            raise serializers.ValidationError("No such change.")
        return change


class ExemptSourceSerializer(OutputModelSerializer):
    class Meta:
        model = ExemptSource
        fields = ["id", "source", "reason"]


class ExemptSourceInputSerializer(StrictInputSerializer):
    source = serializers.CharField(max_length=50)
    reason = serializers.CharField(max_length=4000)
