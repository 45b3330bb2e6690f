"""Trend proposals: the list (pending first, decided ones on a tab), a proposal's page with its
incidents and why they were grouped, and the problem managers' Accept and Dismiss.

Staff read (auditors too: proposals and their decisions are records they sample); problem
managers decide (problems.services.proposal_accept / proposal_dismiss).
"""

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View

from itsm.exceptions import DomainError, messages_of
from itsm.forms import add_error_to_form
from itsm.history import history_rows
from itsm.views.lists import FilteredListView
from itsm.views.mixins import RoleRequiredMixin

from .. import selectors, services
from ..choices import ProposalBasis, ProposalState
from ..models import TrendProposal
from ..workflow import PROBLEM_MANAGERS

TABS = (("pending", gettext_lazy("Pending")), ("decided", gettext_lazy("Decided")))


class ProposalFilterSet(django_filters.FilterSet):
    tab = django_filters.ChoiceFilter(choices=TABS, method="on_tab", label=gettext_lazy("Proposals"))
    basis = django_filters.ChoiceFilter(choices=ProposalBasis.choices, label=gettext_lazy("Grouped by"))

    class Meta:
        model = TrendProposal
        fields = []

    def on_tab(self, queryset, name, value):
        if value == "decided":
            return queryset.exclude(state=ProposalState.PENDING)
        return queryset.filter(state=ProposalState.PENDING)


class ProposalListView(FilteredListView):
    template_name = "problems/proposals/list.html"
    results_template_name = "problems/proposals/_results.html"
    filterset_class = ProposalFilterSet
    filter_fields = ("tab", "basis")
    sort_fields = {"detected": "detected_at", "incidents": "incident_count", "decided": "decided_at"}
    default_sort = "-detected"

    def get_base_queryset(self):
        return selectors.proposal_list(self.request.user, state=None)

    def get_queryset(self):
        # Pending by default: the tab is a filter the URL may leave out.
        data = self.request.GET.copy()
        data.setdefault("tab", "pending")
        self.filterset = self.filterset_class(data, queryset=self.get_base_queryset(), request=self.request)
        queryset = self.filterset.qs if self.filterset.is_valid() else self.filterset.queryset.none()
        return queryset.order_by(*self.order_by_fields())

    def get_context_data(self, **kwargs):
        return super().get_context_data(tabs=TABS, current_tab=self.request.GET.get("tab", "pending"), **kwargs)


def proposal_get_for_user(user, pk) -> TrendProposal:
    proposal = selectors.proposal_list(user, state=None).filter(pk=pk).first()
    if proposal is None:
        raise Http404
    return proposal


class DismissForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why is this not a problem?"), widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=2000)


class ProposalPageMixin(RoleRequiredMixin):
    write_roles = PROBLEM_MANAGERS

    def render_page(self, proposal, *, dismiss_form=None, status=200):
        incidents = (proposal.incidents.select_related("service", "category", "assignment_group")
                     .order_by("-opened_at", "-id"))
        context = {
            "proposal": proposal, "incidents": incidents,
            "decisions": history_rows(proposal, hidden_fields=("version",), limit=20),
            "may_decide": proposal.state == ProposalState.PENDING and self.may_write(self.request.user),
            "dismiss_form": dismiss_form or DismissForm(),
        }
        return render(self.request, "problems/proposals/detail.html", context, status=status)


class ProposalDetailView(ProposalPageMixin, View):
    def get(self, request, pk):
        return self.render_page(proposal_get_for_user(request.user, pk))


class ProposalAcceptView(ProposalPageMixin, View):
    def post(self, request, pk):
        proposal = proposal_get_for_user(request.user, pk)
        try:
            problem = services.proposal_accept(actor=request.user, proposal=proposal)
        except (ValidationError, DomainError) as exc:
            messages.error(request, " ".join(messages_of(exc, field_names=False)))
            return redirect(reverse("problem_proposal_detail", args=[proposal.pk]))
        messages.success(request, _("Proposal accepted: %(problem)s created with its incidents linked.") % {
            "problem": problem.number})
        return redirect(reverse("problem_detail", args=[problem.pk]))


class ProposalDismissView(ProposalPageMixin, View):
    def post(self, request, pk):
        proposal = proposal_get_for_user(request.user, pk)
        form = DismissForm(request.POST)
        if form.is_valid():
            try:
                services.proposal_dismiss(actor=request.user, proposal=proposal, reason=form.cleaned_data["reason"])
            except (ValidationError, DomainError) as exc:
                add_error_to_form(form, exc)
            else:
                messages.success(request, _("Proposal dismissed."))
                return redirect(reverse("problem_proposal_list"))
        return self.render_page(proposal, dismiss_form=form, status=400)


urlpatterns = [
    path("proposals/", ProposalListView.as_view(), name="problem_proposal_list"),
    path("proposals/<int:pk>/", ProposalDetailView.as_view(), name="problem_proposal_detail"),
    path("proposals/<int:pk>/accept/", ProposalAcceptView.as_view(), name="problem_proposal_accept"),
    path("proposals/<int:pk>/dismiss/", ProposalDismissView.as_view(), name="problem_proposal_dismiss"),
]
