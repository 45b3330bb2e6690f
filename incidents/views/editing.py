"""Logging and editing an incident (the form of incidents.forms.IncidentForm)."""

import copy

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.views.mixins import ServiceFormView

from .. import services
from ..forms import (
    IncidentForm,
)
from ..models import Incident
from ..panels import panels_for
from ..workflow import INCIDENT_WORKERS
from .common import IncidentGateMixin


class IncidentFormView(ServiceFormView):
    template_name = "incidents/incident_form.html"
    form_class = IncidentForm
    read_roles = write_roles = INCIDENT_WORKERS
    success_url_name = "incident_detail"
    incident = None

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user,
                  "instance": copy.copy(self.incident) if self.incident else Incident()}
        if self.incident is None:
            kwargs["initial"] = {key: self.request.GET[key] for key in ("service", "caller", "parent")
                                 if self.request.GET.get(key)}
        return kwargs

    def get_context_data(self, **kwargs):
        # Later apps' boxes beside the form (incidents.panels, column "form"): known errors, ...
        form_panels = panels_for(self.incident, self.request.user, "form")
        return super().get_context_data(incident=self.incident, form_panels=form_panels, **kwargs)


class IncidentCreateView(IncidentFormView):
    success_message = gettext_lazy("Incident %(object)s logged.")

    def perform(self, form):
        return services.incident_create(actor=self.request.user, data=form.service_data())


class IncidentUpdateView(IncidentGateMixin, IncidentFormView):
    success_message = gettext_lazy("Incident %(object)s saved.")

    def get(self, request, *args, **kwargs):
        if self.incident.state in Incident.workflow.final_states:
            messages.error(request, _("%(number)s is %(state)s and can no longer be changed.") % {
                "number": self.incident.number, "state": self.incident.get_state_display()})
            return redirect("incident_detail", pk=self.incident.pk)
        return super().get(request, *args, **kwargs)

    def perform(self, form):
        data = form.service_data()
        # Assignment is changed through the same service only when it changed (it journals itself).
        return services.incident_update(actor=self.request.user, incident=self.incident, data=data,
                                        expected_version=form.cleaned_data["version"])
