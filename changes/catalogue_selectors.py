"""Reads of the catalogue and the risk questionnaire's settings, for pages, API and the risk card.

Staff (auditors included) read them; requesters nothing. Each `_get_for_user` answers 404 alike
for a missing row and one the user may not read.
"""

from django.db.models import Prefetch
from django.http import Http404

from .models import ChangeCategory, RiskOption, RiskQuestion, RiskThreshold, StandardChangeTemplate
from .selectors import may_read_changes


def category_list(user):
    return ChangeCategory.objects.all() if may_read_changes(user) else ChangeCategory.objects.none()


def template_list(user):
    """Templates with what a catalogue row shows (category, group, approver) loaded up front."""
    if not may_read_changes(user):
        return StandardChangeTemplate.objects.none()
    return StandardChangeTemplate.objects.select_related("category", "assignment_group", "approved_by")


def with_services(queryset):
    """`queryset` of templates with their services as `service_list` (one query for all)."""
    return queryset.prefetch_related(Prefetch("services", to_attr="service_list"))


def question_list(user, *, active_only: bool = False):
    """Questions with their answers as `option_list`, in order."""
    if not may_read_changes(user):
        return RiskQuestion.objects.none()
    questions = RiskQuestion.objects.prefetch_related(
        Prefetch("options", queryset=RiskOption.objects.order_by("order", "id"), to_attr="option_list"))
    return questions.filter(is_active=True) if active_only else questions


def option_list(user):
    return RiskOption.objects.select_related("question") if may_read_changes(user) else RiskOption.objects.none()


def threshold_list(user):
    return RiskThreshold.objects.all() if may_read_changes(user) else RiskThreshold.objects.none()


def get_for_user(queryset, pk):
    """The row `pk` of `queryset` (one of the lists above) or 404."""
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
