"""API serializers of change approvals and the CAB. Output and input apart: input serializers
validate the shape and turn ids into objects; changes.services decide and write."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from config_items.api.serializers import CIBriefSerializer, TeamBriefSerializer
from config_items.models import ConfigurationItem
from itsm.api.serializers import ChoiceLabelField, OutputModelSerializer, StrictInputSerializer, UserBriefSerializer
from itsm.approval_models import ApprovalDecision, ApprovalGroup, ApprovalState, Outcome, Quorum
from itsm.models import Team

from ..choices import AgendaDecision, ChangeModel, MeetingState, RiskLevel
from ..models import ApprovalRule, CabAgendaItem, CabBoard, CabMeeting
from .serializers import ChangeBriefSerializer, InstantField

User = get_user_model()


def _nullable(queryset, **kwargs):
    return serializers.PrimaryKeyRelatedField(queryset=queryset, required=False, allow_null=True, **kwargs)


# --- Approval rules ------------------------------------------------------------------------------

class ApprovalRuleSerializer(OutputModelSerializer):
    service = CIBriefSerializer(read_only=True)
    team = TeamBriefSerializer(read_only=True)
    users = UserBriefSerializer(source="user_list", many=True, read_only=True)
    board = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = ApprovalRule
        fields = ["id", "name", "change_model", "min_risk", "service", "team", "users", "board", "quorum",
                  "quorum_value", "order", "is_active"]


class ApprovalRuleInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    change_model = serializers.ChoiceField(choices=ChangeModel.choices, required=False, allow_blank=True,
                                           help_text="Blank: normal changes; emergency changes match only "
                                                     "emergency rules.")
    min_risk = serializers.ChoiceField(choices=RiskLevel.choices, required=False, allow_blank=True,
                                       help_text="From this risk up; blank: any risk.")
    service = _nullable(ConfigurationItem.objects.select_related("ci_type"), help_text="A service CI; null: any.")
    team = _nullable(Team.objects.all())
    users = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), many=True, required=False)
    board = _nullable(CabBoard.objects.all(), help_text="A CAB whose members decide.")
    quorum = serializers.ChoiceField(choices=Quorum.choices, required=False)
    quorum_value = serializers.IntegerField(min_value=1, max_value=1000, required=False, allow_null=True)
    order = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)
    is_active = serializers.BooleanField(required=False)


# --- Approver groups and decisions ---------------------------------------------------------------

class DecisionSerializer(OutputModelSerializer):
    approver = UserBriefSerializer(read_only=True)
    role = serializers.SerializerMethodField()

    class Meta:
        model = ApprovalDecision
        fields = ["approver", "outcome", "role", "comment", "decided_at"]

    def get_role(self, decision) -> str:
        return self.context.get("roles", {}).get((decision.group_id, decision.approver_id), "")


class ApprovalGroupSerializer(OutputModelSerializer):
    """An approver group of a change's authorisation, with who may decide and the decisions."""

    change = serializers.IntegerField(source="request.object_id", read_only=True)
    approval = serializers.IntegerField(source="request_id", read_only=True)
    approval_state = serializers.CharField(source="request.state", read_only=True)
    requested_at = serializers.DateTimeField(source="request.requested_at", read_only=True)
    state_label = ChoiceLabelField(source="state", choices=ApprovalState.choices)
    members = UserBriefSerializer(source="member_list", many=True, read_only=True)
    decisions = DecisionSerializer(source="decision_list", many=True, read_only=True)

    class Meta:
        model = ApprovalGroup
        fields = ["id", "change", "approval", "approval_state", "requested_at", "name", "quorum", "quorum_value",
                  "required", "state", "state_label", "members", "decisions"]


class DecideInputSerializer(StrictInputSerializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class AwaitingSerializer(serializers.Serializer):
    """A change awaiting the caller's decision and the groups they may decide in."""

    change = ChangeBriefSerializer(source="*", read_only=True)
    groups = serializers.SerializerMethodField()

    def get_groups(self, change) -> list[dict]:
        return [{"id": group.pk, "name": group.name, "quorum": group.quorum, "required": group.required}
                for group in change.awaiting_groups]


# --- CAB -------------------------------------------------------------------------------------------

class CabBoardSerializer(OutputModelSerializer):
    chair = UserBriefSerializer(read_only=True)
    team = TeamBriefSerializer(read_only=True)
    members = UserBriefSerializer(source="member_list", many=True, read_only=True)

    class Meta:
        model = CabBoard
        fields = ["id", "name", "description", "team", "members", "chair", "first_meeting", "duration_minutes",
                  "rrule", "time_zone", "location", "is_emergency", "is_active", "version"]


class CabBoardInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True)
    team = _nullable(Team.objects.all())
    members = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), many=True, required=False)
    chair = _nullable(User.objects.all(), help_text="Always a member; runs the meetings.")
    first_meeting = InstantField(required=False, allow_null=True)
    duration_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60, required=False)
    rrule = serializers.CharField(required=False, allow_blank=True, max_length=500,
                                  help_text="An RRULE body such as FREQ=WEEKLY;BYDAY=TU; blank: one by one.")
    time_zone = serializers.CharField(required=False, max_length=64)
    location = serializers.CharField(required=False, allow_blank=True, max_length=200)
    is_emergency = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)


class PlanInputSerializer(StrictInputSerializer):
    until = InstantField(help_text="Plan the board's meetings from now until this instant (at most a year).")


class CabMeetingSerializer(OutputModelSerializer):
    board = serializers.PrimaryKeyRelatedField(read_only=True)
    board_name = serializers.CharField(source="board.name", read_only=True)
    state_label = ChoiceLabelField(source="state", choices=MeetingState.choices)
    attendees = UserBriefSerializer(source="attendee_list", many=True, read_only=True)
    item_count = serializers.IntegerField(read_only=True)
    decided_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = CabMeeting
        fields = ["id", "board", "board_name", "starts_at", "ends_at", "state", "state_label", "period_start",
                  "period_end", "attendees", "minutes", "held_at", "item_count", "decided_count", "version"]


class CabMeetingCreateSerializer(StrictInputSerializer):
    board = serializers.PrimaryKeyRelatedField(queryset=CabBoard.objects.all())
    starts_at = InstantField()
    ends_at = InstantField(required=False, allow_null=True)


class CabMeetingInputSerializer(StrictInputSerializer):
    attendees = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), many=True, required=False,
                                                   help_text="Members of the board who attended.")
    minutes = serializers.CharField(required=False, allow_blank=True)
    state = serializers.ChoiceField(choices=MeetingState.choices, required=False)


class CabAgendaItemSerializer(OutputModelSerializer):
    meeting = serializers.PrimaryKeyRelatedField(read_only=True)
    change = ChangeBriefSerializer(read_only=True)
    decision_label = ChoiceLabelField(source="decision", choices=AgendaDecision.choices)
    decided_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = CabAgendaItem
        fields = ["id", "meeting", "position", "change", "decision", "decision_label", "notes", "decided_at",
                  "decided_by"]


class AgendaDecideInputSerializer(StrictInputSerializer):
    decision = serializers.ChoiceField(choices=AgendaDecision.choices)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=4000)
