"""Catalogue and risk API (/api/v1/changes/...): change categories, standard-change templates
(approve, retire), the risk questionnaire (questions, their answers, thresholds); a standard change
raised from a template (`from-template/`, idempotent: CI/CD pipelines retry); a change's risk
(`risk/<id>/`: GET the explanation, POST the questionnaire's answers).

Staff read (auditors and read-only tokens too); administrators keep the settings; change managers
and administrators approve templates; staff workers raise standard changes and assess risk.
"""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from itsm.api.errors import PreconditionFailed
from itsm.api.mixins import etag_for, respond_idempotently
from itsm.api.schema import IDEMPOTENCY_PARAMETER, IF_MATCH_PARAMETER
from itsm.api.viewsets import ServiceModelViewSet
from itsm.inputs import MAX_ROW_ID
from itsm.permissions import ADMIN_ROLES, STAFF_ROLES

from .. import catalogue_selectors as selectors
from ..risk_selectors import risk_explanation
from ..selectors import change_list, with_details
from ..services import catalogue, risk
from ..workflow import CHANGE_MANAGERS, CHANGE_WORKERS
from . import catalogue_serializers as s
from .serializers import ChangeDetailSerializer


class UnversionedMixin:
    """Categories, questions, answers and thresholds carry no version: updates need no If-Match."""

    def expected_version(self, request, obj):
        return None


class ChangeCategoryViewSet(UnversionedMixin, ServiceModelViewSet):
    serializer_class = s.ChangeCategorySerializer
    input_serializer_class = s.ChangeCategoryInputSerializer
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES
    filterset_fields = ["is_active"]
    ordering_fields = ["name", "id"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.category_list(self.request.user)

    def perform_service_create(self, data):
        return catalogue.category_create(actor=self.request.user, data=data)

    def perform_service_update(self, obj, data, expected_version):
        return catalogue.category_update(actor=self.request.user, category=obj, data=data)


class TemplateViewSet(ServiceModelViewSet):
    """Standard-change templates. Updates need If-Match (or `version`); an edit of the plans,
    services or risk voids the approval. `approve/`: change managers and administrators."""

    serializer_class = s.TemplateSerializer
    input_serializer_class = s.TemplateInputSerializer
    read_roles = STAFF_ROLES
    filterset_fields = ["is_active", "category", "risk"]
    ordering_fields = ["name", "review_date", "id"]
    ordering = ["name"]

    @property
    def write_roles(self):
        # A method the URL lacks (no action; 405 once permitted): whoever may use the URL at all.
        actions = [self.action] if getattr(self, "action", None) else getattr(self, "action_map", {}).values()
        return CHANGE_MANAGERS if "approve" in actions else ADMIN_ROLES

    def get_queryset(self):
        return selectors.with_services(selectors.template_list(self.request.user))

    def answer(self, template, status_code=status.HTTP_200_OK):
        self._etag_object = template = self.get_queryset().get(pk=template.pk)
        return self.output(template, status_code)

    def perform_service_create(self, data):
        template = catalogue.template_create(actor=self.request.user, data=data)
        return self.get_queryset().get(pk=template.pk)

    def perform_service_update(self, obj, data, expected_version):
        template = catalogue.template_update(actor=self.request.user, template=obj, data=data,
                                             expected_version=expected_version)
        return self.get_queryset().get(pk=template.pk)

    def optional_version(self, request, template):
        precondition = "If-Match" in request.headers or "version" in request.data
        return self.expected_version(request, template) if precondition else None

    @extend_schema(request=s.TemplateApproveInputSerializer, parameters=[IF_MATCH_PARAMETER],
                   responses=s.TemplateSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve the template as it stands until `review_date`."""
        template = self.get_object()
        expected = self.optional_version(request, template)
        serializer = s.TemplateApproveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        template = catalogue.template_approve(actor=request.user, template=template, expected_version=expected,
                                              **serializer.validated_data)
        return self.answer(template)

    @extend_schema(request=s.TemplateRetireInputSerializer, parameters=[IF_MATCH_PARAMETER],
                   responses=s.TemplateSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        """Take the template out of the catalogue (changes raised from it keep it)."""
        template = self.get_object()
        expected = self.optional_version(request, template)
        serializer = s.TemplateRetireInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        template = catalogue.template_retire(actor=request.user, template=template, expected_version=expected,
                                             **serializer.validated_data)
        return self.answer(template)


class RiskQuestionViewSet(UnversionedMixin, ServiceModelViewSet):
    """Questions with their answers (`options`, given when creating; later through risk-options/)."""

    serializer_class = s.RiskQuestionSerializer
    input_serializer_class = s.RiskQuestionInputSerializer
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES
    filterset_fields = ["is_active"]
    ordering_fields = ["order", "id"]
    ordering = ["order", "id"]

    def get_queryset(self):
        return selectors.question_list(self.request.user)

    def perform_service_create(self, data):
        question = risk.risk_question_create(actor=self.request.user, data=_plain(data))
        return self.get_queryset().get(pk=question.pk)

    def perform_service_update(self, obj, data, expected_version):
        question = risk.risk_question_update(actor=self.request.user, question=obj, data=data)
        return self.get_queryset().get(pk=question.pk)


class RiskOptionViewSet(UnversionedMixin, ServiceModelViewSet):
    """An answer to a question and its weight. Re-weighting leaves past assessments as they were."""

    serializer_class = s.RiskOptionSerializer
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES
    filterset_fields = ["question"]
    ordering_fields = ["order", "id"]
    ordering = ["question", "order", "id"]

    def get_queryset(self):
        return selectors.option_list(self.request.user)

    @property
    def input_serializer_class(self):
        """Creating names the question; an answer stays with its question."""
        if getattr(self, "action", None) == "create":
            return s.RiskOptionCreateSerializer
        return s.RiskOptionInputSerializer

    def perform_service_create(self, data):
        data = dict(data)
        question = data.pop("question")
        return risk.risk_option_create(actor=self.request.user, question=question, data=data)

    def perform_service_update(self, obj, data, expected_version):
        return risk.risk_option_update(actor=self.request.user, option=obj, data=data)


class RiskThresholdViewSet(UnversionedMixin, ServiceModelViewSet):
    """The lowest score of each level (they rise with the level); below the lowest: low."""

    serializer_class = s.RiskThresholdSerializer
    input_serializer_class = s.RiskThresholdInputSerializer
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES
    ordering_fields = ["min_score"]
    ordering = ["min_score"]

    def get_queryset(self):
        return selectors.threshold_list(self.request.user)

    def perform_service_create(self, data):
        level = data["level"]
        if self.get_queryset().filter(level=level).exists():
            raise ValidationError({"level": _("This level has its threshold already: change it instead.")})
        risk.risk_thresholds_set(actor=self.request.user, scores={level: data["min_score"]})
        return self.get_queryset().get(level=level)

    def perform_service_update(self, obj, data, expected_version):
        if "level" in data and data["level"] != obj.level:
            raise ValidationError({"level": _("A threshold keeps its level.")})
        if "min_score" in data:
            risk.risk_thresholds_set(actor=self.request.user, scores={obj.level: data["min_score"]})
        return self.get_queryset().get(pk=obj.pk)


def _plain(data: dict) -> dict:
    """Validated data as plain dicts (nested serializers give OrderedDicts of their own)."""
    return {k: [dict(o) for o in v] if k == "options" else v for k, v in data.items()}


class FromTemplateView(APIView):
    """POST: raise a standard change from a template (201 with the change)."""

    read_roles = STAFF_ROLES  # a GET is answered 405
    write_roles = CHANGE_WORKERS

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER], request=s.FromTemplateInputSerializer,
                   responses={201: ChangeDetailSerializer}, operation_id="changes_from_template")
    def post(self, request):
        """Raise a standard change from a usable template (active, approved, not past its review
        date: else 400 saying why); the template gives the plans, services, category, group and
        risk. `schedule`: schedule it at once in its window (refused: nothing is created).
        Idempotent with `Idempotency-Key`."""
        return respond_idempotently(request, lambda: self._create(request))

    def _create(self, request):
        serializer = s.FromTemplateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        template, schedule, source = data.pop("template"), data.pop("schedule"), data.pop("source")
        change = catalogue.change_create_from_template(actor=request.user, template=template, data=data,
                                                       schedule=schedule, source=source)
        change = with_details(change_list(request.user)).get(pk=change.pk)  # as the change API answers it
        body = ChangeDetailSerializer(change, context={"request": request}).data
        headers = {"Location": reverse("api:changes:change-detail", args=[change.pk]), "ETag": etag_for(change)}
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class ChangeRiskView(APIView):
    """GET: why the change's risk is what it is. POST: answer the risk questionnaire."""

    read_roles = STAFF_ROLES
    write_roles = CHANGE_WORKERS

    def change(self, request, pk):
        if pk > MAX_ROW_ID:
            raise Http404
        return get_object_or_404(change_list(request.user).select_related("template"), pk=pk)

    @extend_schema(responses=s.RiskExplanationSerializer, operation_id="changes_risk_explanation")
    def get(self, request, pk):
        """The answers and their weights, the score, the thresholds (which one was reached), and the
        impact: the services at stake and their customers."""
        change = self.change(request, pk)
        return Response(s.RiskExplanationSerializer(risk_explanation(change)).data,
                        headers={"ETag": etag_for(change)})

    @extend_schema(request=s.RiskAssessInputSerializer, parameters=[IF_MATCH_PARAMETER],
                   responses=s.RiskExplanationSerializer, operation_id="changes_risk_assess")
    def post(self, request, pk):
        """Answer every active question (one answer each); the score and level follow. While the
        change is new or in assessment (an emergency also in authorisation); not for standard changes."""
        change = self.change(request, pk)
        expected = _expected_version(request, change)
        serializer = s.RiskAssessInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = risk.change_assess_risk(actor=request.user, change=change, expected_version=expected,
                                         answers=serializer.validated_data["answers"])
        change = self.change(request, change.pk)
        return Response(s.RiskExplanationSerializer(risk_explanation(change)).data,
                        headers={"ETag": etag_for(change)})


def _expected_version(request, change) -> int | None:
    """An If-Match or `version` given must be the change's current one (412); none: no check."""
    if_match = request.headers.get("If-Match", "").strip()
    if if_match and if_match not in (etag_for(change), "*"):
        raise PreconditionFailed()
    if if_match:
        return change.version
    version = request.data.get("version") if hasattr(request.data, "get") else None
    if version is None:
        return None
    if type(version) is not int:
        raise PreconditionFailed("version must be an integer.")
    return version


urlpatterns = [
    path("from-template/", FromTemplateView.as_view(), name="from-template"),
    path("risk/<int:pk>/", ChangeRiskView.as_view(), name="change-risk"),
]


def register(router) -> None:
    """Register this slice's viewsets on the changes API router."""
    router.register("categories", ChangeCategoryViewSet, basename="change-category")
    router.register("templates", TemplateViewSet, basename="change-template")
    router.register("risk-questions", RiskQuestionViewSet, basename="risk-question")
    router.register("risk-options", RiskOptionViewSet, basename="risk-option")
    router.register("risk-thresholds", RiskThresholdViewSet, basename="risk-threshold")
