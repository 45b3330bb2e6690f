"""Problem API serializers. Output and input are apart: input serializers only validate the
shape of a request (and turn ids into objects); problems.services decide what is allowed and write."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from config_items.api.serializers import CIBriefSerializer, TeamBriefSerializer
from config_items.models import ConfigurationItem
from incidents.api.serializers import CategoryBriefSerializer
from incidents.choices import Impact, IncidentState, Priority, Urgency
from incidents.models import Category, Incident
from itsm.api.serializers import (
    ChoiceLabelField,
    OutputModelSerializer,
    ReadTogetherField,
    StrictInputSerializer,
    TransitionInputSerializer,
    UserBriefSerializer,
)
from itsm.models import Team

from ..choices import (
    LinkedIncidentsOnResolve,
    ProblemResolutionCode,
    ProblemSource,
    ProblemState,
    ProposalBasis,
    ProposalState,
    TaskState,
)
from ..models import Problem, ProblemIncident, ProblemTask, ProblemWaiver, RootCauseCategory, TrendProposal

User = get_user_model()
LEVEL_HELP = "1 high, 2 medium, 3 low."


# --- output -------------------------------------------------------------------------------------

class RootCauseCategorySerializer(OutputModelSerializer):
    class Meta:
        model = RootCauseCategory
        fields = ["id", "name", "description", "is_active"]


class RootCauseCategoryBriefSerializer(OutputModelSerializer):
    class Meta:
        model = RootCauseCategory
        fields = ["id", "name"]


class ProblemBriefSerializer(OutputModelSerializer):
    """A problem named in another answer (a link, a proposal)."""

    state_label = ChoiceLabelField(source="state", choices=ProblemState.choices)

    class Meta:
        model = Problem
        fields = ["id", "number", "short_description", "state", "state_label"]


class ProblemSerializer(OutputModelSerializer):
    service = CIBriefSerializer(read_only=True)
    category = CategoryBriefSerializer(read_only=True)
    root_cause_category = RootCauseCategoryBriefSerializer(read_only=True)
    assignment_group = TeamBriefSerializer(read_only=True)
    assignee = UserBriefSerializer(read_only=True)
    problem_manager = UserBriefSerializer(read_only=True)
    state_label = ChoiceLabelField(source="state", choices=ProblemState.choices)
    source_label = ChoiceLabelField(source="source", choices=ProblemSource.choices)
    priority_label = ChoiceLabelField(source="priority", choices=Priority.choices)
    impact_label = ChoiceLabelField(source="impact", choices=Impact.choices)
    urgency_label = ChoiceLabelField(source="urgency", choices=Urgency.choices)
    resolution_code_label = ChoiceLabelField(source="resolution_code", choices=ProblemResolutionCode.choices)
    impact = serializers.IntegerField(read_only=True, help_text=LEVEL_HELP)
    urgency = serializers.IntegerField(read_only=True, help_text=LEVEL_HELP)
    cis = serializers.SerializerMethodField(help_text="Ids of the affected CIs.")
    is_known_error = serializers.BooleanField(read_only=True,
                                              help_text="In known error, or resolved/closed with a workaround.")
    incident_count = serializers.SerializerMethodField(help_text="Incidents linked to the problem.")

    class Meta:
        model = Problem
        fields = [
            "id", "number", "short_description", "description", "symptom", "service", "cis", "category",
            "impact", "impact_label", "urgency", "urgency_label", "priority", "priority_label",
            "assignment_group", "assignee", "problem_manager", "source", "source_label", "state", "state_label",
            "root_cause", "root_cause_category", "contributing_factors", "workaround", "fix", "resolution_code",
            "resolution_code_label", "resolution_notes", "cancel_reason", "is_known_error", "incident_count",
            "opened_at", "root_cause_found_at", "known_error_at", "resolved_at", "closed_at", "version",
            "created_at", "updated_at",
        ]

    def get_cis(self, obj) -> list[int]:
        cis = getattr(obj, "ci_list", None)  # the API's queryset prefetches them (no query per row)
        return sorted(ci.pk for ci in (obj.cis.all() if cis is None else cis))

    def get_incident_count(self, obj) -> int:
        count = getattr(obj, "incident_count", None)  # annotated by the API's queryset
        return obj.incident_links.count() if count is None else count


class ProblemDetailSerializer(ProblemSerializer):
    allowed_transitions = serializers.SerializerMethodField(
        help_text="Workflow steps the caller may take now (names for POST transition/).")
    recurrences = serializers.SerializerMethodField(
        help_text="Linked incidents opened since the problem was resolved (each questions the fix).")

    class Meta(ProblemSerializer.Meta):
        fields = [*ProblemSerializer.Meta.fields, "allowed_transitions", "recurrences"]

    def get_allowed_transitions(self, obj) -> list[str]:
        request = self.context.get("request")
        return [t.name for t in Problem.workflow.available(obj, request.user)] if request else []

    def get_recurrences(self, obj) -> int:
        from ..selectors import recurrences_since_resolution

        return recurrences_since_resolution(obj)


class LinkedIncidentSerializer(OutputModelSerializer):
    """The incident of a link, as a problem lists it."""

    service = CIBriefSerializer(read_only=True)
    state_label = ChoiceLabelField(source="state", choices=IncidentState.choices)

    class Meta:
        model = Incident
        fields = ["id", "number", "short_description", "state", "state_label", "on_hold_reason", "is_major",
                  "priority", "service", "opened_at", "resolved_at", "closed_at"]


class ProblemIncidentSerializer(OutputModelSerializer):
    """A link as its problem lists it."""

    incident = LinkedIncidentSerializer(read_only=True)
    linked_by = UserBriefSerializer(read_only=True)
    workaround_applied = serializers.SerializerMethodField()
    workaround_applied_by = serializers.PrimaryKeyRelatedField(read_only=True, help_text="A user id.")

    class Meta:
        model = ProblemIncident
        fields = ["id", "incident", "linked_at", "linked_by", "waiting", "via_known_error",
                  "workaround_applied", "workaround_applied_at", "workaround_applied_by"]

    def get_workaround_applied(self, obj) -> bool:
        return obj.workaround_applied_at is not None


class IncidentLinkSerializer(ProblemIncidentSerializer):
    """A link with its problem: what an incident's problem is."""

    problem = ProblemBriefSerializer(read_only=True)

    class Meta(ProblemIncidentSerializer.Meta):
        fields = ["id", "problem", *ProblemIncidentSerializer.Meta.fields[1:]]


class ApplyWorkaroundResultSerializer(serializers.Serializer):
    incident = serializers.IntegerField(help_text="The incident's id.")
    link = ProblemIncidentSerializer(allow_null=True, help_text="Its link to the problem (null: not linked).")


class ProblemTaskSerializer(OutputModelSerializer):
    assignee = UserBriefSerializer(read_only=True)
    state_label = ChoiceLabelField(source="state", choices=TaskState.choices)
    problem = serializers.PrimaryKeyRelatedField(read_only=True)
    created_by = serializers.PrimaryKeyRelatedField(read_only=True, help_text="A user id.")

    class Meta:
        model = ProblemTask
        fields = ["id", "problem", "short_description", "description", "assignee", "due_date", "state",
                  "state_label", "outcome", "created_at", "created_by", "completed_at", "version"]


class WaiverIncidentSerializer(OutputModelSerializer):
    class Meta:
        model = Incident
        fields = ["id", "number", "short_description", "is_major"]


class WaiverSerializer(OutputModelSerializer):
    incident = WaiverIncidentSerializer(read_only=True)
    recorded_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = ProblemWaiver
        fields = ["id", "incident", "reason", "recorded_at", "recorded_by"]


class KnownErrorSerializer(OutputModelSerializer):
    """A known-error entry: symptom, root cause, workaround, what it affects, and its record of use.
    `applied`, `spared` and `is_stale` are set on each row by the API (problems.known_errors)."""

    service = CIBriefSerializer(read_only=True)
    root_cause_category = RootCauseCategoryBriefSerializer(read_only=True)
    state_label = ChoiceLabelField(source="state", choices=ProblemState.choices)
    cis = serializers.SerializerMethodField(help_text="Ids of the affected CIs.")
    applied = serializers.IntegerField(read_only=True, help_text="How often its workaround was applied.")
    spared = serializers.IntegerField(read_only=True, help_text="Incidents it spared an investigation of their own.")
    stale = serializers.BooleanField(source="is_stale", read_only=True,
                                     help_text="Published more than KNOWN_ERROR_STALE_DAYS ago and still without a fix.")

    class Meta:
        model = Problem
        fields = ["id", "number", "short_description", "symptom", "root_cause", "root_cause_category",
                  "workaround", "fix", "service", "cis", "state", "state_label", "known_error_at", "applied",
                  "spared", "stale"]

    def get_cis(self, obj) -> list[int]:
        cis = getattr(obj, "ci_list", None)
        return sorted(ci.pk for ci in (obj.cis.all() if cis is None else cis))


class SuggestedKnownErrorSerializer(OutputModelSerializer):
    service = CIBriefSerializer(read_only=True)
    applied = serializers.IntegerField(read_only=True, help_text="How often its workaround was applied.")
    spared = serializers.IntegerField(read_only=True, help_text="Incidents it spared an investigation of their own.")

    class Meta:
        model = Problem
        fields = ["id", "number", "short_description", "symptom", "root_cause", "workaround", "service",
                  "known_error_at", "applied", "spared"]


class SuggestionSerializer(serializers.Serializer):
    """A known error suggested for an incident, best match first."""

    known_error = SuggestedKnownErrorSerializer(source="problem")
    match = serializers.IntegerField(help_text="0 the same CI, 1 the same service, 2 a CI it depends on.")
    match_label = serializers.CharField()
    via = serializers.CharField(help_text="The CI or service it shares with the incident.")


class ProposalSerializer(OutputModelSerializer):
    service = CIBriefSerializer(read_only=True)
    ci = CIBriefSerializer(read_only=True)
    category = CategoryBriefSerializer(read_only=True)
    decided_by = UserBriefSerializer(read_only=True)
    problem = ProblemBriefSerializer(read_only=True)
    basis_label = ChoiceLabelField(source="basis", choices=ProposalBasis.choices)
    state_label = ChoiceLabelField(source="state", choices=ProposalState.choices)

    class Meta:
        model = TrendProposal
        fields = ["id", "title", "basis", "basis_label", "explanation", "service", "ci", "category",
                  "incident_count", "window_days", "state", "state_label", "detected_at", "decided_at",
                  "decided_by", "dismiss_reason", "problem", "version"]


class ProposalDetailSerializer(ProposalSerializer):
    incidents = serializers.SerializerMethodField(help_text="The incidents grouped, newest first.")

    class Meta(ProposalSerializer.Meta):
        fields = [*ProposalSerializer.Meta.fields, "incidents"]

    def get_incidents(self, obj) -> list[dict]:
        incidents = getattr(obj, "incident_list", None)  # prefetched by the API
        if incidents is None:
            incidents = obj.incidents.select_related("service").order_by("-opened_at", "-id")
        return LinkedIncidentSerializer(incidents, many=True).data


# --- input --------------------------------------------------------------------------------------

def _related(queryset, **kwargs):
    return ReadTogetherField(queryset=queryset, required=False, allow_null=True, **kwargs)


def _level(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=3, required=False, help_text=LEVEL_HELP, **kwargs)


def _text(max_length=None):
    return serializers.CharField(required=False, allow_blank=True, max_length=max_length)


class ProblemInputSerializer(StrictInputSerializer):
    """What problem workers set on a problem (the workflow sets its state, assign/ its assignment too)."""

    READ_TOGETHER = (("assignee", "problem_manager"),)

    short_description = serializers.CharField(max_length=200)
    description = _text()
    symptom = _text()
    service = _related(ConfigurationItem.objects.select_related("ci_type"), help_text="A service CI's id.")
    cis = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all(), many=True, required=False,
                                             help_text="Ids of the affected CIs.")
    category = _related(Category.objects.all(), help_text="A top-level incident category's id.")
    impact = _level()
    urgency = _level()
    problem_manager = _related(User.objects.filter(is_active=True))
    source = serializers.ChoiceField(choices=ProblemSource.choices, required=False)
    root_cause = _text()
    root_cause_category = _related(RootCauseCategory.objects.all())
    contributing_factors = _text()
    workaround = _text()
    fix = _text()
    assignment_group = _related(Team.objects.all())
    assignee = _related(User.objects.filter(is_active=True))


class ProblemTransitionDataSerializer(StrictInputSerializer):
    """The fields workflow steps ask for (see GET transitions/); a step uses only its own."""

    root_cause = _text()
    root_cause_category = _related(RootCauseCategory.objects.filter(is_active=True))
    workaround = _text()
    symptom = _text()
    resolution_code = serializers.ChoiceField(choices=ProblemResolutionCode.choices, required=False,
                                              allow_blank=True)
    resolution_notes = _text()
    fix = _text()
    cancel_reason = _text()


class ProblemTransitionInputSerializer(TransitionInputSerializer):
    linked_incidents = serializers.ChoiceField(
        choices=LinkedIncidentsOnResolve.choices, required=False, default=LinkedIncidentsOnResolve.RESUME,
        help_text="On resolve: resume the incidents waiting on the problem, resolve them with its "
                  "resolution, or leave them as they are.")
    data = ProblemTransitionDataSerializer(required=False, default=dict, help_text="Fields the step asks for.")


class ProblemAssignInputSerializer(StrictInputSerializer):
    assignment_group = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), allow_null=True)
    assignee = _related(User.objects.filter(is_active=True))
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


def _incident_ids(**kwargs):
    return serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all(), many=True, allow_empty=False,
                                              help_text="Incident ids.", **kwargs)


HOLD_HELP = "Put the open incidents on hold awaiting the problem (resolving it resumes them)."


class LinkInputSerializer(StrictInputSerializer):
    incidents = _incident_ids()
    hold = serializers.BooleanField(required=False, default=False, help_text=HOLD_HELP)


class UnlinkInputSerializer(StrictInputSerializer):
    incident = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all(), help_text="An incident id.")


class FromIncidentsInputSerializer(ProblemInputSerializer):
    """Incidents to make a problem of; any problem field given overrides what they carry over."""

    short_description = serializers.CharField(max_length=200, required=False)
    incidents = _incident_ids()
    hold = serializers.BooleanField(required=False, default=False, help_text=HOLD_HELP)


class ApplyWorkaroundInputSerializer(StrictInputSerializer):
    incident = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all(), help_text="An incident id.")
    public = serializers.BooleanField(required=False, default=True,
                                      help_text="A comment the caller sees (true) or an internal work note.")
    link = serializers.BooleanField(required=False, default=True,
                                    help_text="Also link the incident to the problem (if not linked yet).")


class TaskInputSerializer(StrictInputSerializer):
    short_description = serializers.CharField(max_length=200)
    description = _text()
    assignee = _related(User.objects.filter(is_active=True))
    due_date = serializers.DateField(required=False, allow_null=True)


class TaskFinishInputSerializer(StrictInputSerializer):
    outcome = serializers.CharField(max_length=20000, allow_blank=True,
                                    help_text="What the task found, or why it is cancelled.")
    cancelled = serializers.BooleanField(required=False, default=False)


class WaiverInputSerializer(StrictInputSerializer):
    incident = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all(), help_text="A major incident's id.")
    reason = serializers.CharField(max_length=20000, allow_blank=True, help_text="Why no problem is needed.")


class RootCauseCategoryInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    description = _text()
    is_active = serializers.BooleanField(required=False)


class ProposalAcceptInputSerializer(ProblemInputSerializer):
    """Optional problem fields overriding what the proposal carries over."""

    short_description = serializers.CharField(max_length=200, required=False)


class SuggestionQuerySerializer(StrictInputSerializer):
    """Known errors for an incident (`incident`), or for a service and CIs being logged."""

    incident = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1,
                                        help_text="An incident's id: its service and CIs.")
    service = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1,
                                       help_text="A service CI's id.")
    ci = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False,
                               max_length=100, help_text="CI ids (repeat the parameter).")
    limit = serializers.IntegerField(required=False, default=5, min_value=1, max_value=20)


class ProposalDismissInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=20000, allow_blank=True, help_text="Why no problem is needed.")
