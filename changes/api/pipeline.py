"""CI/CD gating API, under /api/v1/changes/:
- GET gate/<change>/ (the change's id or number): may it be deployed now? `deploy` and the
  reasons of a "no", each with a code; read-only tokens may ask;
- POST pipeline/<change>/start/: the deployment starts (the change goes into implementation);
- POST pipeline/<change>/finish/ {"outcome", "notes"}: how it went (the change completes; a
  standard change that succeeded closes itself).
Start and finish answer a replay with the same Idempotency-Key as they answered the first time.
The change itself is raised from a standard-change template by POST from-template/ (catalogue)."""

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from itsm.api.mixins import respond_idempotently
from itsm.api.schema import IDEMPOTENCY_PARAMETER
from itsm.permissions import STAFF_ROLES

from .. import selectors
from ..models import Change
from ..services.pipeline import change_gate, pipeline_finish, pipeline_start
from ..workflow import CHANGE_WORKERS
from . import serializers_pipeline as s


def change_of(user, ref: str) -> Change:
    """The change named by its id or its number (any case), through the changes' read gate."""
    ref = (ref or "").strip()
    if ref.isdigit():
        return selectors.change_get_for_user(user, int(ref))
    change = selectors.change_list(user).filter(number=ref.upper()).first()
    if change is None:
        raise Http404
    return change


class GateView(APIView):
    read_roles = STAFF_ROLES
    write_roles = CHANGE_WORKERS

    @extend_schema(responses=s.GateSerializer, operation_id="changes_gate")
    def get(self, request, pk):
        """Whether the change may be deployed now: authorised, scheduled or being implemented,
        inside its planned window (an emergency change from its authorisation), no conflict
        blocking it or waiting for an override. `reasons` says why not, each with a `code`:
        not_authorised, wrong_state, no_window, before_window, after_window, blocking_conflict,
        override_needed."""
        return Response(s.GateSerializer(change_gate(change_of(request.user, pk))).data)


class PipelineActionView(APIView):
    read_roles = STAFF_ROLES
    write_roles = CHANGE_WORKERS

    def answer(self, change):
        change = Change.objects.get(pk=change.pk)
        return Response(s.PipelineChangeSerializer({"change": change, "gate": change_gate(change)}).data)


class PipelineStartView(PipelineActionView):
    @extend_schema(request=None, parameters=[IDEMPOTENCY_PARAMETER], responses=s.PipelineChangeSerializer,
                   operation_id="changes_pipeline_start")
    def post(self, request, pk):
        """The deployment starts: the change goes into implementation (refused with the gate's
        reasons when it may not be deployed now)."""
        change = change_of(request.user, pk)
        return respond_idempotently(request, lambda: self.answer(pipeline_start(actor=request.user, change=change)))


class PipelineFinishView(PipelineActionView):
    @extend_schema(request=s.FinishInputSerializer, parameters=[IDEMPOTENCY_PARAMETER],
                   responses=s.PipelineChangeSerializer, operation_id="changes_pipeline_finish")
    def post(self, request, pk):
        """The deployment ended with `outcome` (successful, successful_with_issues, failed,
        backed_out): the change completes with it as close code; a standard change that
        succeeded closes itself, any other waits in review."""
        change = change_of(request.user, pk)
        return respond_idempotently(request, lambda: self._finish(request, change))

    def _finish(self, request, change):
        serializer = s.FinishInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self.answer(pipeline_finish(actor=request.user, change=change, **serializer.validated_data))


urlpatterns = [
    path("gate/<str:pk>/", GateView.as_view(), name="change-gate"),
    path("pipeline/<str:pk>/start/", PipelineStartView.as_view(), name="change-pipeline-start"),
    path("pipeline/<str:pk>/finish/", PipelineFinishView.as_view(), name="change-pipeline-finish"),
]


def register(router) -> None:
    """The gate and the pipeline's reports are plain views (urlpatterns): no viewset."""
