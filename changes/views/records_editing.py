"""Raising and editing a change (changes.forms.ChangeForm): normal or emergency here, standard
changes from the catalogue."""

import copy

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.inputs import is_row_id
from itsm.views.mixins import ServiceFormView

from ..choices import ChangeModel
from ..forms import ChangeForm
from ..models import Change
from ..services.records import change_create, change_update
from ..workflow import CHANGE_WORKERS
from .records_common import ChangeGateMixin, url_if_any


class ChangeFormView(ServiceFormView):
    template_name = "changes/records/form.html"
    form_class = ChangeForm
    read_roles = write_roles = CHANGE_WORKERS
    success_url_name = "change_detail"
    change = None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user,
                "instance": copy.copy(self.change) if self.change else Change()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(change=self.change, catalogue_url=url_if_any("change_catalogue"),
                                        **kwargs)


class ChangeCreateView(ChangeFormView):
    """/changes/new/ (?change_model=emergency: an emergency change; ?problem=<id>: to fix it)."""

    success_message = gettext_lazy("Change %(object)s raised.")

    def get_initial(self):
        initial = super().get_initial()
        query = self.request.GET
        if query.get("change_model") in (ChangeModel.NORMAL, ChangeModel.EMERGENCY):
            initial["change_model"] = query["change_model"]
        if is_row_id(query.get("problem", "")):
            initial["problems"] = [query["problem"]]
        return initial

    def perform(self, form):
        return change_create(actor=self.request.user, data=form.service_data())


class ChangeUpdateView(ChangeGateMixin, ChangeFormView):
    success_message = gettext_lazy("Change %(object)s saved.")

    def get(self, request, *args, **kwargs):
        if self.change.state in Change.workflow.final_states:
            messages.error(request, _("%(number)s is %(state)s and can no longer be changed.") % {
                "number": self.change.number, "state": self.change.get_state_display()})
            return redirect("change_detail", pk=self.change.pk)
        return super().get(request, *args, **kwargs)

    def perform(self, form):
        before = (self.change.state, self.change.authorised_at)
        change = change_update(actor=self.request.user, change=self.change, data=form.service_data(),
                               expected_version=form.cleaned_data["version"])
        if (change.state, change.authorised_at) != before:
            # A material edit (window, CIs, services, plans) voided what the approvers agreed to.
            messages.warning(self.request, _(
                "This edit changed what was approved: %(number)s is now %(state)s and needs its approval "
                "again.") % {"number": change.number, "state": change.get_state_display()})
        return change
