"""Approval pages: "Awaiting my approval", deciding as one approver group (from the change page's
approvals panel or its own page), the one-click links of the approval emails, and the approval
rules (settings). The change page's "approvals" panel is registered here.

A link page never decides on GET (mail scanners open links): it asks for a confirmation, and
only the named person, signed in, may give it.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from itsm.approval_models import ApprovalGroup, ApprovalState, Outcome
from itsm.approvals import approvals_of
from itsm.exceptions import DomainError, messages_of
from itsm.permissions import ADMIN_ROLES, STAFF_ROLES, permitted
from itsm.views.mixins import RoleRequiredMixin, ServiceFormView

from ..choices import ChangeState
from ..forms_approvals import ApprovalRuleForm, DecisionForm
from ..models import ApprovalRule, CabAgendaItem, CabBoard
from ..selectors import change_get_for_user
from ..selectors_approvals import (
    PURPOSE,
    approval_rule_list,
    awaiting_approval,
    change_type,
    decision_roles,
    group_origins,
    settlements,
)
from ..services.approval_links import LinkExpired, LinkInvalid, approval_link_read
from ..services.approval_rules import approval_rule_create, approval_rule_update
from ..services.approvals import APPROVER_ROLES, change_decide
from .panels import Panel, register


def change_url(change) -> str:
    return reverse("change_detail", args=[change.pk])


def authorisation_groups():
    return ApprovalGroup.objects.select_related("request", "team").filter(
        request__content_type=change_type(), request__purpose=PURPOSE)


# --- The change page's panel ---------------------------------------------------------------------

def _group_rows(request, user, origins, roles, settled, boards, may_act):
    rows = []
    for group in request.group_list:
        member_ids = {member.pk for member in group.member_list}
        decided = {decision.approver_id for decision in group.decision_list}
        rows.append({
            "group": group, "board": boards.get(origins.get(group.pk, {}).get("board")),
            "decisions": [{"decision": d, "role": roles.get((group.pk, d.approver_id), "")}
                          for d in group.decision_list],
            "settled": settled.get(group.pk),
            "may_decide": (may_act and request.state == ApprovalState.PENDING and group.state == ApprovalState.PENDING
                           and user.pk in member_ids and user.pk not in decided),
            "decide_url": reverse("change_approval_decide", args=[group.pk]),
        })
    return rows


def approvals_panel(change, request) -> dict | None:
    """Each authorisation request (newest first): its groups, quorums, who may decide, the
    decisions (who, when, as which role, comment), the CAB's minuted decisions, and the decide
    buttons for the person when they may decide; then the change's CAB agenda items."""
    requests = [r for r in approvals_of(change) if r.purpose == PURPOSE]
    items = list(CabAgendaItem.objects.filter(change=change).select_related("meeting__board", "decided_by")
                 .order_by("-meeting__starts_at"))
    if not requests and not items:
        return None
    user = request.user
    origins = group_origins([change.pk])
    boards = {b.pk: b for b in CabBoard.objects.filter(pk__in={o["board"] for o in origins.values() if o["board"]})}
    roles, settled = decision_roles(change), settlements(change)
    may_act = permitted(user, APPROVER_ROLES) and change.state == ChangeState.AUTHORISATION
    rows = [{"request": r, "is_excluded": any(p.pk == user.pk for p in r.excluded_list),
             "groups": _group_rows(r, user, origins, roles, settled, boards, may_act)} for r in reversed(requests)]
    return {"requests": rows, "cab_items": items, "back": change_url(change)}


register(Panel("approvals", "changes/approvals/panel.html", approvals_panel, order=30))


# --- Awaiting my approval, deciding ---------------------------------------------------------------

class ApprovalMixin(RoleRequiredMixin):
    read_roles = STAFF_ROLES
    write_roles = APPROVER_ROLES


class AwaitingView(ApprovalMixin, TemplateView):
    template_name = "changes/approvals/awaiting.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(changes=awaiting_approval(self.request.user), **kwargs)


def _decided_message(change, outcome) -> str:
    if outcome == Outcome.APPROVE:
        return _("You approved %(number)s.") % {"number": change.number}
    return _("You rejected %(number)s.") % {"number": change.number}


def decide_refusal(group, user) -> str:
    """Why `user` may not decide as `group` now, in the words the service would refuse with, or
    "" (the decide page then offers approve / reject)."""
    if group.request.state != ApprovalState.PENDING or group.state != ApprovalState.PENDING:
        return _("This approver group takes no more decisions.")
    if group.request.excluded.filter(pk=user.pk).exists():
        return _("You requested or implement this change: someone else must approve it.")
    if not group.members.filter(pk=user.pk).exists():
        return _("You are not an approver of %(group)s.") % {"group": group.name}
    if group.decisions.filter(approver=user).exists():
        return _("You have decided as %(group)s already.") % {"group": group.name}
    return ""


class DecideView(ApprovalMixin, TemplateView):
    """GET: the change and the group, with approve / reject for an approver who may decide, or why
    the person may not. POST: decide; a refusal (not an approver, the requester or implementer,
    decided already) is shown as an error message."""

    template_name = "changes/approvals/decide.html"

    @cached_property
    def group(self):
        return get_object_or_404(authorisation_groups(), pk=self.kwargs["pk"])

    @cached_property
    def change(self):
        return change_get_for_user(self.request.user, self.group.request.object_id)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", DecisionForm())
        return super().get_context_data(change=self.change, group=self.group, request_=self.group.request,
                                        refusal=decide_refusal(self.group, self.request.user), **kwargs)

    def back(self):
        target = self.request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, {self.request.get_host()},
                                                      require_https=self.request.is_secure()):
            return target
        return change_url(self.change)

    def post(self, request, *args, **kwargs):
        form = DecisionForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        outcome = form.cleaned_data["outcome"]
        try:
            change_decide(actor=request.user, change=self.change, group=self.group, outcome=outcome,
                          comment=form.cleaned_data["comment"])
        except (ValidationError, DomainError) as exc:
            for line in messages_of(exc, field_names=False):
                messages.error(request, line)
            return redirect(self.back())
        messages.success(request, _decided_message(self.change, outcome))
        return redirect(self.back())


class LinkView(ApprovalMixin, TemplateView):
    """A one-click link (?t=...): a confirmation page for its named person; POST decides."""

    template_name = "changes/approvals/link.html"

    def refusal(self, status, message, change=None):
        return self.render_to_response(self.get_context_data(refusal=message, change=change), status=status)

    def read(self):
        """(link, group, change) or a refusal page."""
        user = self.request.user
        try:
            link = approval_link_read(self.request.GET.get("t", ""))
        except LinkInvalid:
            return self.refusal(400, _("This approval link is not valid: it may have been cut or altered. "
                                       "Decide from the change's page instead."))
        except LinkExpired as expired:
            group = authorisation_groups().filter(pk=expired.link.group_id).first()
            change = change_get_for_user(user, group.request.object_id) if group else None
            return self.refusal(410, _("This approval link has expired. Decide from the change's page instead."),
                                change)
        if link.user_id != user.pk:
            return self.refusal(403, _("This approval link is for another person. Only the approver it was sent "
                                       "to may use it, signed in as themselves."))
        group = authorisation_groups().filter(pk=link.group_id).first()
        if group is None:
            return self.refusal(404, _("This approval no longer exists."))
        return link, group, change_get_for_user(user, group.request.object_id)

    def get(self, request, *args, **kwargs):
        found = self.read()
        if not isinstance(found, tuple):
            return found
        link, group, change = found
        return self.render_to_response(self.get_context_data(link=link, group=group, change=change,
                                                             form=DecisionForm(initial={"outcome": link.outcome})))

    def post(self, request, *args, **kwargs):
        found = self.read()
        if not isinstance(found, tuple):
            return found
        link, group, change = found
        form = DecisionForm({"outcome": link.outcome, "comment": request.POST.get("comment", "")})
        context = {"link": link, "group": group, "change": change, "form": form}
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(**context), status=400)
        try:
            change_decide(actor=request.user, change=change, group=group, outcome=link.outcome,
                          comment=form.cleaned_data["comment"])
        except (ValidationError, DomainError) as exc:
            status = getattr(exc, "status_code", 400)
            return self.render_to_response(self.get_context_data(error=" ".join(messages_of(exc, field_names=False)),
                                                                 **context), status=status)
        messages.success(request, _decided_message(change, link.outcome))
        return redirect(change_url(change))


# --- Approval rules (settings) -------------------------------------------------------------------

class RuleMixin(RoleRequiredMixin):
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES


class RuleListView(RuleMixin, TemplateView):
    template_name = "changes/approvals/rule_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(rules=list(approval_rule_list(self.request.user)), **kwargs)


class RuleFormView(RuleMixin, ServiceFormView):
    template_name = "changes/approvals/rule_form.html"
    form_class = ApprovalRuleForm
    read_roles = ADMIN_ROLES
    rule = None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": ApprovalRule() if self.rule is None else
                ApprovalRule.objects.get(pk=self.rule.pk)}  # the form writes its input onto its instance

    def get_success_url(self):
        return reverse("change_approval_rule_list")

    def get_context_data(self, **kwargs):
        return super().get_context_data(rule=self.rule, **kwargs)


class RuleCreateView(RuleFormView):
    success_message = gettext_lazy("Approval rule “%(object)s” created.")

    def perform(self, form):
        return approval_rule_create(actor=self.request.user, data=form.service_data())


class RuleUpdateView(RuleFormView):
    success_message = gettext_lazy("Approval rule “%(object)s” saved.")

    @cached_property
    def rule(self) -> ApprovalRule:
        return get_object_or_404(approval_rule_list(self.request.user), pk=self.kwargs["pk"])

    def perform(self, form):
        return approval_rule_update(actor=self.request.user, rule=self.rule, data=form.service_data())


def register_menu() -> None:
    """"Awaiting my approval" in the Changes menu (people who may approve), the approval rules in
    Settings (administrators). Called from ChangesConfig.ready."""
    from itsm.navigation import CHANGES, SETTINGS, MenuItem
    from itsm.navigation import register as register_item

    register_item(MenuItem(gettext_lazy("Awaiting my approval"), "change_approval_awaiting", icon="shield-check",
                           order=81, roles=APPROVER_ROLES, group=CHANGES))
    register_item(MenuItem(gettext_lazy("Approval rules"), "change_approval_rule_list", icon="checks", order=976,
                           roles=ADMIN_ROLES, group=SETTINGS))


urlpatterns = [
    path("approvals/", AwaitingView.as_view(), name="change_approval_awaiting"),
    path("approvals/groups/<int:pk>/decide/", DecideView.as_view(), name="change_approval_decide"),
    path("approvals/link/", LinkView.as_view(), name="change_approval_link"),
    path("settings/approval-rules/", RuleListView.as_view(), name="change_approval_rule_list"),
    path("settings/approval-rules/new/", RuleCreateView.as_view(), name="change_approval_rule_create"),
    path("settings/approval-rules/<int:pk>/edit/", RuleUpdateView.as_view(), name="change_approval_rule_update"),
]
