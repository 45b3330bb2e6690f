"""External auditors' time-boxed accounts, for administrators: grant one, move its last day or
end it now."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, View

from itsm.exceptions import DomainError, messages_of
from itsm.forms import add_error_to_form
from itsm.permissions import ADMIN_ROLES
from itsm.views.mixins import RoleRequiredMixin

from .. import access
from ..forms import AccessChangeForm, AuditorForm


class AuditorListView(RoleRequiredMixin, FormView):
    template_name = "audits/auditors.html"
    form_class = AuditorForm
    read_roles = write_roles = ADMIN_ROLES

    def get_context_data(self, **kwargs):
        kwargs["auditors"] = access.external_auditors(self.request.user)
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        try:
            user = access.auditor_grant(actor=self.request.user, **form.cleaned_data)
        except (ValidationError, DomainError) as exc:
            add_error_to_form(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("%(name)s may sign in as an auditor until the end of %(day)s.")
                         % {"name": user.username, "day": form.cleaned_data["expires_on"]})
        return redirect("audit_auditor_list")


class AuditorAccessView(RoleRequiredMixin, View):
    """POST: a new last day, or none to end access now."""

    read_roles = write_roles = ADMIN_ROLES

    def post(self, request, pk):
        user = get_object_or_404(access.external_auditors(request.user), pk=pk)
        form = AccessChangeForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the last day of access as a date, or none to end access now."))
            return redirect("audit_auditor_list")
        try:
            access.auditor_access_change(actor=request.user, user=user, expires_on=form.cleaned_data["expires_on"])
        except ValidationError as exc:
            messages.error(request, " ".join(messages_of(exc, field_names=False)))
        else:
            messages.success(request, _("Access of %(name)s changed.") % {"name": user.username})
        return redirect("audit_auditor_list")
