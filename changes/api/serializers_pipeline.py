"""API serializers of the CI/CD gate and the pipeline's start and finish reports."""

from rest_framework import serializers

from itsm.api.serializers import ChoiceLabelField, StrictInputSerializer

from ..choices import ChangeState, CloseCode
from ..services.pipeline import OUTCOMES


class GateReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class GateWindowSerializer(serializers.Serializer):
    start = serializers.DateTimeField(allow_null=True)
    end = serializers.DateTimeField(allow_null=True)


class GateSerializer(serializers.Serializer):
    deploy = serializers.BooleanField(help_text="Whether the change may be deployed now.")
    reasons = GateReasonSerializer(many=True, help_text="Why not (empty when it may).")
    change = serializers.CharField(help_text="The change's number.")
    state = serializers.CharField()
    window = GateWindowSerializer(help_text="The planned window.")
    at = serializers.DateTimeField(help_text="The instant the answer is for.")


class PipelineChangeBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    state = serializers.CharField()
    state_label = ChoiceLabelField(source="state", choices=ChangeState.choices)
    close_code = serializers.CharField()
    close_code_label = ChoiceLabelField(source="close_code", choices=CloseCode.choices)
    actual_start = serializers.DateTimeField(allow_null=True)
    actual_end = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()


class PipelineChangeSerializer(serializers.Serializer):
    change = PipelineChangeBriefSerializer()
    gate = GateSerializer(help_text="The gate's answer after the step.")


class FinishInputSerializer(StrictInputSerializer):
    outcome = serializers.ChoiceField(choices=[(code.value, code.label) for code in OUTCOMES])
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
