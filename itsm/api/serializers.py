"""API serializers of the kernel. Input and output are kept apart: input serializers only
validate; services write."""

import copy

from django.contrib.auth import get_user_model
from rest_framework import serializers

from ..models import ApiToken, Customer, Team

User = get_user_model()


class StrictInputSerializer(serializers.Serializer):
    """Refuses unknown and read-only fields instead of silently ignoring them.

    `version` is accepted on every input: it is the optimistic-concurrency precondition.
    """

    ALWAYS_ALLOWED = {"version"}

    def get_fields(self):
        return copy_fields(self._declared_fields)  # DRF would deep-copy them (see copy_fields)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            errors = {}
            for key in data:
                if key in self.ALWAYS_ALLOWED or key in writable:
                    continue
                errors[key] = ["This field is read-only." if key in self.fields else "Unknown field."]
            if errors:
                raise serializers.ValidationError(errors)
            for names in self.READ_TOGETHER:
                self._read_together(data, names)
        return super().to_internal_value(data)

    # Groups of ReadTogetherField names whose objects come from one model and one queryset.
    READ_TOGETHER: tuple[tuple[str, ...], ...] = ()

    def _read_together(self, data: dict, names: tuple[str, ...]) -> None:
        """Read the objects of several id fields of one model in one query (e.g. category and
        subcategory); each field then takes its object from it. An id that is missing from the
        answer, or not a plain integer, is left to the field, which reads it and reports it
        exactly as usual."""
        pks = {data[name] for name in names if type(data.get(name)) is int}
        if len(pks) > 1:
            found = self.fields[names[0]].get_queryset().in_bulk(pks)
            for name in names:
                self.fields[name].read_before = found


class ReadTogetherField(serializers.PrimaryKeyRelatedField):
    """An id field whose object the serializer may have read together with others (READ_TOGETHER)."""

    read_before: dict = {}  # noqa: RUF012  replaced per instance, never changed in place

    def to_internal_value(self, data):
        if type(data) is int and data in self.read_before:
            return self.read_before[data]
        return super().to_internal_value(data)


class ChoiceLabelField(serializers.CharField):
    """The label of a choice field's value (read-only), as get_FOO_display gives it.

    A method as `source` costs DRF an inspect.signature per row, and each label was translated
    anew: a page of 50 incidents spent a third of its time there (bench/results.md,
    2026-11-23). The labels are translated once per response, in the request's language."""

    def __init__(self, *, choices, **kwargs):
        self.choices = choices
        super().__init__(read_only=True, **kwargs)

    def bind(self, field_name, parent):
        super().bind(field_name, parent)
        self.labels = {value: str(label) for value, label in self.choices}

    def to_representation(self, value):
        return self.labels.get(value, "" if value is None else str(value))


class DisplayNameField(serializers.CharField):
    """str() of the object itself (read-only), without DRF's per-row signature check."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        return str(value)


def copy_fields(fields: dict) -> dict:
    """Fields for one serializer instance from a class's unbound template fields.

    DRF deep-copies every field for every serializer instance, and a field's deep copy calls
    its constructor again (an incident's answer made about 600 such copies). A shallow copy is
    enough for a field that keeps no per-instance state but what `bind` sets: the copy is
    bound to its new parent and the template stays unbound. A nested serializer is copied the
    same way and builds its own fields again (cheaply, if it is an OutputModelSerializer).
    Fields that hold a bound child (lists, many-relations) get DRF's deep copy."""
    copies = {}
    for name, field in fields.items():
        if hasattr(field, "child") or hasattr(field, "child_relation"):
            copies[name] = copy.deepcopy(field)
            continue
        clone = copy.copy(field)
        clone.__dict__.pop("fields", None)  # a nested serializer's bound fields, rebuilt on demand
        copies[name] = clone
    return copies


# A ModelSerializer for output that builds its fields from the model once per class, not once
# per instance: DRF inspects the model for every serializer it creates (about half the cost of
# answering with one incident). Each instance gets copies (`copy_fields`). Only for
# serializers whose fields depend on the class alone (Meta and declared fields), not on the
# instance, the context or the request. (A comment, not a docstring: the schema would show it
# as the description of every subclass without one.)
class OutputModelSerializer(serializers.ModelSerializer):

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            cls._fields_built_once = built
        return copy_fields(built)

    @property
    def _readable_fields(self):
        # DRF walks the fields' mapping anew for every row it represents (a list of 50 incidents
        # with seven nested serializers walked it 3,200 times); a list made once per instance.
        readable = self.__dict__.get("_readable_list")
        if readable is None:
            readable = self.__dict__["_readable_list"] = [f for f in self.fields.values() if not f.write_only]
        return readable



class UserBriefSerializer(OutputModelSerializer):
    display_name = DisplayNameField()

    class Meta:
        model = User
        fields = ["id", "username", "display_name"]


class UserSerializer(serializers.ModelSerializer):
    display_name = DisplayNameField()
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "first_name", "last_name", "email", "language",
                  "time_zone", "roles"]

    def get_roles(self, obj) -> list[str]:
        return sorted(group.name for group in obj.groups.all())


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "code", "name", "email", "is_active", "version", "created_at", "updated_at"]


class CustomerInputSerializer(StrictInputSerializer):
    code = serializers.SlugField(max_length=32)
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class TeamSerializer(serializers.ModelSerializer):
    lead = UserBriefSerializer(read_only=True)
    on_duty_manager = UserBriefSerializer(read_only=True, allow_null=True)
    members = UserBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "email", "description", "lead", "on_duty_manager", "members", "is_active", "version",
                  "created_at", "updated_at"]


class TeamInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    email = serializers.EmailField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    lead = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False,
                                              allow_null=True)
    on_duty_manager = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True),
                                                         required=False, allow_null=True)
    members = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), many=True,
                                                 required=False)
    is_active = serializers.BooleanField(required=False)


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "key_prefix", "read_only", "created_at", "expires_at", "last_used_at",
                  "revoked_at"]


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The secret. Shown once, never again.")

    class Meta(ApiTokenSerializer.Meta):
        fields = ApiTokenSerializer.Meta.fields + ["token"]


class ApiTokenInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    days = serializers.IntegerField(required=False, allow_null=True, default=90, min_value=1, max_value=3650)
    read_only = serializers.BooleanField(required=False, default=False)


class JournalEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    is_public = serializers.BooleanField()
    body = serializers.CharField()
    data = serializers.JSONField()
    author = UserBriefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()


class CommentInputSerializer(StrictInputSerializer):
    body = serializers.CharField(max_length=20000)
    internal = serializers.BooleanField(default=False, help_text="A work note, hidden from requesters.")


class TransitionInputSerializer(StrictInputSerializer):
    transition = serializers.CharField(max_length=50)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    data = serializers.DictField(required=False, default=dict, help_text="Fields the step asks for.")


class TransitionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    target = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField())
