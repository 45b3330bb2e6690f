"""Logging and editing a problem (problems.forms.ProblemForm)."""

import copy

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.views.mixins import ServiceFormView

from .. import services
from ..forms import ProblemForm
from ..models import Problem
from ..workflow import PROBLEM_WORKERS
from .common import ProblemGateMixin


class ProblemFormView(ServiceFormView):
    template_name = "problems/problem_form.html"
    form_class = ProblemForm
    read_roles = write_roles = PROBLEM_WORKERS
    success_url_name = "problem_detail"
    problem = None

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user,
                  "instance": copy.copy(self.problem) if self.problem else Problem()}
        if self.problem is None:
            kwargs["initial"] = {key: self.request.GET[key] for key in ("service", "source")
                                 if self.request.GET.get(key)}
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(problem=self.problem, **kwargs)


class ProblemCreateView(ProblemFormView):
    success_message = gettext_lazy("Problem %(object)s logged.")

    def perform(self, form):
        return services.problem_create(actor=self.request.user, data=form.service_data())


class ProblemUpdateView(ProblemGateMixin, ProblemFormView):
    success_message = gettext_lazy("Problem %(object)s saved.")

    def get(self, request, *args, **kwargs):
        if self.problem.state in Problem.workflow.final_states:
            messages.error(request, _("%(number)s is %(state)s and can no longer be changed.") % {
                "number": self.problem.number, "state": self.problem.get_state_display()})
            return redirect("problem_detail", pk=self.problem.pk)
        return super().get(request, *args, **kwargs)

    def perform(self, form):
        return services.problem_update(actor=self.request.user, problem=self.problem, data=form.service_data(),
                                       expected_version=form.cleaned_data["version"])
