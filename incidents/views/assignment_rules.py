"""Incident settings: assignment rules (/incidents/settings/assignment-rules/).

Staff read the rules (so agents know where an incident logged without a group goes);
administrators create and change them through incidents.assignment (the services). A rule is
deactivated, not deleted: its history stays.
"""

import copy

from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from itsm.forms import VersionedModelForm
from itsm.models import Team
from itsm.permissions import ADMIN_ROLES, STAFF_ROLES
from itsm.views.mixins import RoleRequiredMixin, ServiceFormView
from itsm.widgets import SearchSelect, chosen, limit_to_chosen

from .. import assignment, selectors
from ..models import AssignmentRule, Category


class AssignmentRuleForm(VersionedModelForm):
    class Meta:
        model = AssignmentRule
        fields = ["name", "service", "category", "assignment_group", "order", "is_active"]

    def __init__(self, *args, **kwargs):
        from config_items.models import ConfigurationItem

        super().__init__(*args, **kwargs)
        # Services grow with the CMDB: only the chosen one is in the page, Tom Select searches the rest.
        self.fields["service"].queryset = ConfigurationItem.objects.filter(ci_type__is_service=True)
        self.fields["service"].widget = SearchSelect({"placeholder": _("Any service")},
                                                     search_url=reverse("incident_ci_search") + "?service=1")
        limit_to_chosen(self.fields["service"], chosen(self, "service"))
        self.fields["category"].queryset = Category.objects.select_related("parent").order_by("name")
        self.fields["category"].empty_label = _("Any category")
        self.fields["category"].widget.attrs["data-tom-select"] = "single"
        groups = Team.objects.filter(is_active=True)
        if self.instance.assignment_group_id:  # a rule keeps showing its group, even if inactive now
            groups = Team.objects.filter(pk=self.instance.assignment_group_id) | groups
        self.fields["assignment_group"].queryset = groups.order_by("name")
        self.fields["assignment_group"].widget.attrs["data-tom-select"] = "single"


class RuleMixin(RoleRequiredMixin):
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES


class AssignmentRuleListView(RuleMixin, TemplateView):
    template_name = "incidents/settings/assignment_rule_list.html"

    def get_context_data(self, **kwargs):
        rules = list(selectors.assignment_rule_list(self.request.user))
        return super().get_context_data(rules=rules, **kwargs)


class AssignmentRuleFormView(RuleMixin, ServiceFormView):
    template_name = "incidents/settings/assignment_rule_form.html"
    form_class = AssignmentRuleForm
    read_roles = ADMIN_ROLES
    rule = None

    def get_form_kwargs(self):
        # The form writes the input onto its instance; the page keeps showing the saved rule.
        return {**super().get_form_kwargs(), "instance": copy.copy(self.rule)}

    def get_success_url(self):
        return reverse("incident_assignment_rule_list")

    def get_context_data(self, **kwargs):
        return super().get_context_data(rule=self.rule, **kwargs)


class AssignmentRuleCreateView(AssignmentRuleFormView):
    success_message = _("Assignment rule “%(object)s” created.")

    def perform(self, form):
        return assignment.assignment_rule_create(actor=self.request.user, data=form.service_data())


class AssignmentRuleUpdateView(AssignmentRuleFormView):
    success_message = _("Assignment rule “%(object)s” saved.")

    @cached_property
    def rule(self) -> AssignmentRule:
        return get_object_or_404(selectors.assignment_rule_list(self.request.user), pk=self.kwargs["pk"])

    def perform(self, form):
        return assignment.assignment_rule_update(actor=self.request.user, rule=self.rule, data=form.service_data(),
                                                 expected_version=form.cleaned_data["version"])


urlpatterns = [
    path("assignment-rules/", AssignmentRuleListView.as_view(), name="incident_assignment_rule_list"),
    path("assignment-rules/new/", AssignmentRuleCreateView.as_view(), name="incident_assignment_rule_create"),
    path("assignment-rules/<int:pk>/edit/", AssignmentRuleUpdateView.as_view(),
         name="incident_assignment_rule_update"),
]
