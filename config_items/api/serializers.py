"""CMDB API serializers. Output and input are apart: input serializers only validate the
shape of a request; the services decide what is allowed and write."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from itsm.api.serializers import OutputModelSerializer, StrictInputSerializer, UserBriefSerializer
from itsm.models import Customer, Team

from ..choices import CatalogueStatus, CIStatus, Environment
from ..models import Baseline, CIType, ConfigurationItem, Relationship, RelationshipType

User = get_user_model()


# --- types -------------------------------------------------------------------------------------

class CITypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = CIType
        fields = ["id", "name", "slug", "description", "is_service", "attribute_schema", "is_active", "version",
                  "created_at", "updated_at"]


class CITypeBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = CIType
        fields = ["id", "slug", "name", "is_service"]


class CITypeInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    slug = serializers.SlugField(max_length=50)
    description = serializers.CharField(required=False, allow_blank=True)
    is_service = serializers.BooleanField(required=False)
    attribute_schema = serializers.JSONField(
        required=False, help_text='A list of {"name", "label", "kind", "required", "choices", "help"}.')
    is_active = serializers.BooleanField(required=False)


class RelationshipTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = RelationshipType
        fields = ["id", "slug", "forward_label", "reverse_label", "is_active"]


class RelationshipTypeInputSerializer(StrictInputSerializer):
    slug = serializers.SlugField(max_length=50)
    forward_label = serializers.CharField(max_length=60)
    reverse_label = serializers.CharField(max_length=60)
    is_active = serializers.BooleanField(required=False)


# --- configuration items -----------------------------------------------------------------------

class TeamBriefSerializer(OutputModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]


class CustomerBriefSerializer(OutputModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "code", "name"]


class CIBriefSerializer(OutputModelSerializer):
    class Meta:
        model = ConfigurationItem
        fields = ["id", "number", "name"]


class CISerializer(serializers.ModelSerializer):
    ci_type = CITypeBriefSerializer(read_only=True)
    owner_team = TeamBriefSerializer(read_only=True)
    customers = CustomerBriefSerializer(many=True, read_only=True)
    service_owner = UserBriefSerializer(read_only=True)

    class Meta:
        model = ConfigurationItem
        fields = ["id", "number", "name", "ci_type", "status", "environment", "description", "owner_team",
                  "customers", "attributes", "source", "external_id", "service_owner", "hours_of_service",
                  "catalogue_status", "version", "created_at", "updated_at"]


class CIInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=200)
    ci_type = serializers.SlugRelatedField(slug_field="slug", queryset=CIType.objects.all(),
                                           help_text="The CI type's code, e.g. `server`.")
    environment = serializers.ChoiceField(choices=Environment.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    owner_team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    customers = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all(), many=True, required=False)
    attributes = serializers.DictField(required=False, help_text="Values of the type's attributes, by name.")
    source = serializers.CharField(max_length=50, required=False, allow_blank=True)
    external_id = serializers.CharField(max_length=200, required=False, allow_blank=True)
    service_owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False,
                                                       allow_null=True)
    hours_of_service = serializers.CharField(max_length=200, required=False, allow_blank=True)
    catalogue_status = serializers.ChoiceField(choices=CatalogueStatus.choices, required=False, allow_blank=True)


class CIUpsertInputSerializer(CIInputSerializer):
    """Discovery input: the key, and any fields; a missing CI is created (then name and type
    are needed), an existing one gets only the fields that differ."""

    source = serializers.CharField(max_length=50)
    external_id = serializers.CharField(max_length=200)
    name = serializers.CharField(max_length=200, required=False)
    ci_type = serializers.SlugRelatedField(slug_field="slug", queryset=CIType.objects.all(), required=False)
    status = serializers.ChoiceField(choices=CIStatus.choices, required=False,
                                     help_text="Reached through the lifecycle step that leads there.")


# --- relationships -----------------------------------------------------------------------------

class RelationshipSerializer(serializers.ModelSerializer):
    source = CIBriefSerializer(read_only=True)
    target = CIBriefSerializer(read_only=True)
    type = RelationshipTypeSerializer(read_only=True)
    created_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = Relationship
        fields = ["id", "source", "type", "target", "created_at", "created_by"]


class RelationshipInputSerializer(StrictInputSerializer):
    source = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all(),
                                                help_text="The CI that depends on the target.")
    target = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all())
    type = serializers.SlugRelatedField(slug_field="slug", queryset=RelationshipType.objects.all())


# --- baselines ---------------------------------------------------------------------------------

class BaselineSerializer(serializers.ModelSerializer):
    root = CIBriefSerializer(read_only=True)
    created_by = UserBriefSerializer(read_only=True)
    item_count = serializers.SerializerMethodField()

    class Meta:
        model = Baseline
        fields = ["id", "number", "name", "reason", "root", "item_count", "version", "created_at", "created_by"]

    def get_item_count(self, obj) -> int:
        return len(obj.snapshot.get("items", {}))


class BaselineDetailSerializer(BaselineSerializer):
    class Meta(BaselineSerializer.Meta):
        fields = [*BaselineSerializer.Meta.fields, "snapshot"]


class BaselineInputSerializer(StrictInputSerializer):
    root = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all())
    name = serializers.CharField(max_length=200)
    reason = serializers.CharField()


class BaselineDiffQuerySerializer(StrictInputSerializer):
    against = serializers.CharField(help_text="Another baseline's id, or `today` for the current state.")


class DiffItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    name = serializers.CharField()


class ChangedItemSerializer(DiffItemSerializer):
    fields = serializers.DictField(child=serializers.ListField(), help_text="field: [old, new]")


class ItemChangesSerializer(serializers.Serializer):
    added = DiffItemSerializer(many=True)
    removed = DiffItemSerializer(many=True)
    changed = ChangedItemSerializer(many=True)


class RelationshipChangesSerializer(serializers.Serializer):
    added = serializers.ListField(child=serializers.ListField(), help_text="[source id, target id, type code]")
    removed = serializers.ListField(child=serializers.ListField())


class BaselineDiffSerializer(serializers.Serializer):
    baseline = serializers.IntegerField()
    against = serializers.CharField()
    items = ItemChangesSerializer()
    relationships = RelationshipChangesSerializer()


# --- impact ------------------------------------------------------------------------------------

class ImpactQuerySerializer(StrictInputSerializer):
    direction = serializers.ChoiceField(choices=[("upstream", _("upstream")), ("downstream", _("downstream"))],
                                        default="upstream")
    depth = serializers.IntegerField(min_value=1, max_value=10, default=5)


class ImpactNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField()
    is_service = serializers.BooleanField()
    status = serializers.CharField()
    depth = serializers.IntegerField()
    path = serializers.ListField(child=serializers.IntegerField())


class ImpactEdgeSerializer(serializers.Serializer):
    source = serializers.IntegerField()
    target = serializers.IntegerField()
    type = serializers.CharField()
    type_label = serializers.CharField()


class ImpactSerializer(serializers.Serializer):
    nodes = ImpactNodeSerializer(many=True)
    edges = ImpactEdgeSerializer(many=True)
    truncated = serializers.BooleanField()


# --- import ------------------------------------------------------------------------------------

class ImportInputSerializer(StrictInputSerializer):
    file = serializers.FileField(help_text="A UTF-8 CSV file.")
    dry_run = serializers.BooleanField(default=False)
    atomic = serializers.BooleanField(default=False)


class ImportRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    action = serializers.ChoiceField(choices=["created", "updated", "unchanged", "rejected"])
    number = serializers.CharField()
    errors = serializers.ListField(child=serializers.CharField())


class ImportReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    atomic = serializers.BooleanField()
    written = serializers.BooleanField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()
    rows = ImportRowSerializer(many=True)
