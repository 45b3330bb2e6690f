"""The CMDB side of the change pages: the proposed CI changes of a change (a card on the change
page and a page of its own, with the add and withdraw forms), and the unauthorised-changes
report with its exempt discovery sources (views/cmdb_unauthorised.py).

Staff read; change workers propose; change managers resolve exceptions; administrators keep the
exempt sources. The services decide (changes.services.proposals, .unauthorised)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View

from itsm.exceptions import DomainError, messages_of
from itsm.forms import add_error_to_form
from itsm.permissions import permitted
from itsm.views.mixins import RoleRequiredMixin

from .. import selectors, selectors_cmdb
from ..choices import BEFORE_IMPLEMENTATION, ProposalKind
from ..forms_cmdb import RELATIONSHIP_KINDS, ProposalForm
from ..services.proposals import proposal_add, proposal_remove
from ..workflow import CHANGE_WORKERS
from . import cmdb_unauthorised
from .panels import Panel, register

PANEL_ANCHOR = "proposed-ci-changes"


def may_propose(change, user) -> bool:
    return change.state in BEFORE_IMPLEMENTATION and permitted(user, CHANGE_WORKERS)


def proposals_context(change, user, form=None) -> dict:
    """What the card and the page show: the diff rows, and the forms for those who may propose."""
    rows = selectors_cmdb.proposal_rows(selectors_cmdb.proposals_of(change))
    editable = may_propose(change, user)
    context = {"rows": rows, "may_propose": editable, "anchor": PANEL_ANCHOR,
               "add_url": reverse("change_proposal_add", args=[change.pk]),
               "page_url": reverse("change_proposals", args=[change.pk])}
    if editable:
        context["attribute_form"] = form if form is not None and form.data.get("kind") == "attribute" else \
            ProposalForm(change=change, initial={"kind": ProposalKind.ATTRIBUTE})
        relationship = form if form is not None and form.data.get("kind") != "attribute" else \
            ProposalForm(change=change, initial={"kind": ProposalKind.ADD_RELATIONSHIP})
        relationship.fields["kind"].choices = RELATIONSHIP_KINDS
        context["relationship_form"] = relationship
    return context


def proposals_panel(change, request):
    """The change page's card; hidden when there is nothing to show nor to do."""
    context = proposals_context(change, request.user)
    if not context["rows"] and not context["may_propose"]:
        return None
    context["next"] = request.get_full_path()
    return context


register(Panel("proposed_ci_changes", "changes/cmdb/proposals_panel.html", proposals_panel, order=60))


class ProposalsPageMixin(RoleRequiredMixin):
    write_roles = CHANGE_WORKERS

    def render_page(self, change, form=None, status=200):
        context = {"change": change, "panel": proposals_context(change, self.request.user, form)}
        return render(self.request, "changes/cmdb/proposals.html", context, status=status)


class ProposalsView(ProposalsPageMixin, View):
    """A change's proposed CI changes on a page of their own (also where a refused form shows)."""

    def get(self, request, pk):
        return self.render_page(selectors.change_get_for_user(request.user, pk))


class ProposalAddView(ProposalsPageMixin, View):
    def post(self, request, pk):
        change = selectors.change_get_for_user(request.user, pk)
        form = ProposalForm(request.POST, change=change)
        if form.data.get("kind") != "attribute":
            form.fields["kind"].choices = RELATIONSHIP_KINDS
        if form.is_valid():
            try:
                proposal_add(actor=request.user, change=change, data=form.service_data())
            except (ValidationError, DomainError) as exc:
                add_error_to_form(form, exc)
            else:
                messages.success(request, _("CI change proposed."))
                return redirect(back_to(request, change))
        return self.render_page(change, form, status=400)


class ProposalRemoveView(RoleRequiredMixin, View):
    write_roles = CHANGE_WORKERS

    def post(self, request, pk):
        proposal = selectors_cmdb.proposal_get_for_user(request.user, pk)
        try:
            proposal_remove(actor=request.user, proposal=proposal)
        except (ValidationError, DomainError) as exc:
            messages.error(request, " ".join(messages_of(exc, field_names=False)))
        else:
            messages.success(request, _("Proposed CI change withdrawn."))
        return redirect(back_to(request, proposal.change))


def back_to(request, change) -> str:
    """The page the form was on (`next`, if it is ours), else the change page at the card."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return f"{target.split('#')[0]}#{PANEL_ANCHOR}"
    return f"{reverse('change_detail', args=[change.pk])}#{PANEL_ANCHOR}"


def register_menu() -> None:
    """The unauthorised-changes report in the Changes menu, the exempt sources in Settings
    (called from ChangesConfig.ready)."""
    from itsm.choices import Role
    from itsm.navigation import CHANGES, SETTINGS, MenuItem
    from itsm.navigation import register as register_item
    from itsm.permissions import ADMIN_ROLES

    register_item(MenuItem(gettext_lazy("Unauthorised changes"), "change_unauthorised_list", icon="alert-octagon",
                           order=92, roles=(Role.CHANGE_MANAGER, Role.CAB_MEMBER, Role.AUDITOR, Role.ADMINISTRATOR),
                           group=CHANGES))
    register_item(MenuItem(gettext_lazy("Exempt discovery sources"), "change_exempt_source_list",
                           icon="shield-check", order=978, roles=ADMIN_ROLES, group=SETTINGS))


urlpatterns = [
    path("proposals/<int:pk>/", ProposalsView.as_view(), name="change_proposals"),
    path("proposals/<int:pk>/add/", ProposalAddView.as_view(), name="change_proposal_add"),
    path("proposals/items/<int:pk>/remove/", ProposalRemoveView.as_view(), name="change_proposal_remove"),
    *cmdb_unauthorised.urlpatterns,
]
