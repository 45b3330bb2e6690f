"""The audit API's serializers: the trail (output only: the product writes it), evidence bundles
and samples."""

from rest_framework import serializers
from rest_framework.reverse import reverse

from itsm.api.serializers import ChoiceLabelField, OutputModelSerializer, StrictInputSerializer

from ..choices import BundleState
from ..models import AuditAnchor, AuditEntry, EvidenceBundle, Sample, SampleItem, Verification
from ..sampling import MAX_SEED, MAX_SIZE


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


class EvidenceBundleSerializer(OutputModelSerializer):
    state_label = ChoiceLabelField(source="state", choices=BundleState.choices)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceBundle
        fields = ["id", "requested_by", "requested_at", "period_start", "period_end", "processes", "customers",
                  "services", "include_files", "state", "state_label", "progress", "step", "started_at",
                  "finished_at", "size", "files", "sha256", "manifest_sha256", "key_fingerprint", "error",
                  "download_url"]

    def get_download_url(self, bundle) -> str | None:
        if bundle.state != BundleState.READY:
            return None
        return reverse("api:audits:evidence-download", args=[bundle.pk], request=self.context.get("request"))


class EvidenceBundleInputSerializer(StrictInputSerializer):
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    processes = serializers.ListField(child=serializers.CharField(max_length=50), allow_empty=False, max_length=50)
    customers = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=500)
    services = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=500)
    include_files = serializers.BooleanField(required=False, default=False)


class SampleItemSerializer(OutputModelSerializer):
    record_app = serializers.SlugRelatedField(source="content_type", slug_field="app_label", read_only=True)
    record_type = serializers.SlugRelatedField(source="content_type", slug_field="model", read_only=True)

    class Meta:
        model = SampleItem
        fields = ["id", "position", "record_app", "record_type", "object_id", "label"]


class SampleSerializer(OutputModelSerializer):
    """A frozen sample: its parameters, the seed it was drawn with, and what was drawn, in order."""

    drawn_by = serializers.CharField(source="created_by.username", read_only=True)
    items = SampleItemSerializer(source="item_list", many=True, read_only=True)

    class Meta:
        model = Sample
        fields = ["id", "source", "period_start", "period_end", "priorities", "customers", "services", "size",
                  "seed", "population", "drawn_by", "created_at", "items"]


class SampleInputSerializer(StrictInputSerializer):
    source = serializers.CharField(max_length=50, help_text="The record type: a sampled evidence process "
                                   "(incidents, problems, cis).")
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    size = serializers.IntegerField(min_value=1, max_value=MAX_SIZE)
    seed = serializers.IntegerField(min_value=0, max_value=MAX_SEED - 1, required=False, allow_null=True,
                                    help_text="Left out: a new random seed, stored and shown.")
    priorities = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=5), required=False,
                                       max_length=5)
    customers = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=500)
    services = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=500)
