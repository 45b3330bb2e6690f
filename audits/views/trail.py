"""The auditor's pages: the trail (filter, page, export) and its verification."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from itsm.exports import Column
from itsm.views.lists import FilteredListView
from itsm.views.mixins import RoleRequiredMixin

from .. import selectors, services
from ..filtersets import AuditEntryFilterSet
from ..selectors import AUDIT_READERS


class TrailView(FilteredListView):
    template_name = "audits/trail.html"
    results_template_name = "audits/_trail_results.html"
    filterset_class = AuditEntryFilterSet
    filter_fields = ("user", "record_type", "label", "after", "before")
    sort_fields = {"when": "occurred_at"}
    default_sort = "-when"
    read_roles = AUDIT_READERS
    paginate_by = 50
    export_name = "audit-trail"
    export_columns = [
        Column(_("Entry"), "pk"),
        Column(_("When"), "occurred_at"),
        Column(_("Action"), "action_label"),
        Column(_("User"), "username"),
        Column(_("API token"), "token_id"),
        Column(_("Task or command"), "task"),
        Column(_("Record type"), lambda entry: entry.content_type.model if entry.content_type_id else ""),
        Column(_("Record id"), "object_id"),
        Column(_("Record"), "label"),
        Column(_("Changes"), lambda entry: entry.changes),
        Column(_("Address"), "address"),
        Column(_("User agent"), "user_agent"),
    ]

    def get_base_queryset(self):
        return selectors.entry_list(self.request.user)

    def prepare_filter_form(self, form) -> None:
        super().prepare_filter_form(form)
        # People who appear on the trail, not every account ever made.
        form.fields["user"].queryset = form.fields["user"].queryset.filter(is_active=True).order_by("username")


class VerifyView(RoleRequiredMixin, TemplateView):
    """The latest verification and the anchors; POST verifies now (a read: auditors may)."""

    template_name = "audits/verify.html"
    read_roles = AUDIT_READERS
    write_roles = AUDIT_READERS
    auditors_may_write = True  # verifying changes nothing that was recorded

    def get_context_data(self, **kwargs):
        kwargs.update(verification=selectors.latest_verification(self.request.user),
                      anchors=selectors.anchor_list(self.request.user))
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        result = services.trail_verify(actor=request.user)
        if result.ok:
            messages.success(request, _("The audit trail is intact: %(count)s entries checked.")
                             % {"count": result.checked})
        else:
            messages.error(request, _("The audit trail is broken: %(problem)s") % {"problem": result.problem})
        return redirect("audit_verify")
