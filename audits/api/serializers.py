"""Output of the trail's API (it takes no input: the trail is written by the product only)."""

from rest_framework import serializers

from itsm.api.serializers import OutputModelSerializer

from ..models import AuditAnchor, AuditEntry, Verification


class AuditEntrySerializer(OutputModelSerializer):
    action_label = serializers.CharField(read_only=True)
    record_type = serializers.SlugRelatedField(source="content_type", slug_field="model", read_only=True)
    record_app = serializers.SlugRelatedField(source="content_type", slug_field="app_label", read_only=True)
    user = serializers.IntegerField(source="user_id", read_only=True, allow_null=True)
    record_type_id = serializers.IntegerField(source="content_type_id", read_only=True, allow_null=True)

    class Meta:
        model = AuditEntry
        fields = ["id", "occurred_at", "action", "action_label", "user", "username", "token_id", "task",
                  "record_type_id", "record_app", "record_type", "object_id", "label", "changes", "address",
                  "user_agent"]


class AnchorSerializer(OutputModelSerializer):
    class Meta:
        model = AuditAnchor
        fields = ["day", "seq", "hash", "count", "recorded_at"]


class VerificationSerializer(OutputModelSerializer):
    class Meta:
        model = Verification
        fields = ["ran_at", "ok", "checked", "anchors_checked", "broken_seq", "broken_entry_id", "problem"]


class VerificationStatusSerializer(serializers.Serializer):
    latest = VerificationSerializer(allow_null=True)
    anchors = AnchorSerializer(many=True)
