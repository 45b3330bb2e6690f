"""The known-error database's pages: the list (search, filters, CSV), the suggestions offered on
the incident page and the incident logging form (htmx fragment), and "apply workaround and link".

A known error's own page is the problem page (problem_detail). Staff read; the people who work
incidents apply workarounds (problems.services.known_error_apply).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View

from incidents import selectors as incident_selectors
from incidents.workflow import INCIDENT_WORKERS
from itsm.exceptions import DomainError, messages_of
from itsm.exports import Column
from itsm.inputs import is_row_id
from itsm.permissions import permitted
from itsm.views.lists import FilteredListView
from itsm.views.mixins import RoleRequiredMixin

from .. import known_errors, selectors, services

SUGGESTIONS_TEMPLATE = "problems/known_errors/_suggestions.html"


class KnownErrorListView(FilteredListView):
    """Every known error (in known error, or resolved/closed with a workaround), with how often its
    workaround was applied, how many incidents it spared, and whether it is stale."""

    template_name = "problems/known_errors/list.html"
    results_template_name = "problems/known_errors/_results.html"
    filterset_class = known_errors.KnownErrorFilterSet
    filter_fields = ("q", "category", "stale")
    sort_fields = {"number": "number", "known_error": "known_error_at", "short_description": "short_description",
                   "service": "service__name", "state": "state"}
    default_sort = "-known_error"
    paginate_by = 50
    export_name = "known-errors"
    export_columns = [
        Column(gettext_lazy("Number"), "number"),
        Column(gettext_lazy("Short description"), "short_description"),
        Column(gettext_lazy("Symptom"), "symptom"),
        Column(gettext_lazy("Root cause"), "root_cause"),
        Column(gettext_lazy("Workaround"), "workaround"),
        Column(gettext_lazy("Fix"), "fix"),
        Column(gettext_lazy("State"), lambda p: p.get_state_display()),
        Column(gettext_lazy("Service"), "service.name"),
        Column(gettext_lazy("Category"), "category.name"),
        Column(gettext_lazy("Known error since"), "known_error_at"),
        Column(gettext_lazy("Workaround applied"), "applied"),
        Column(gettext_lazy("Incidents spared"), "spared"),
        Column(gettext_lazy("Stale"), "is_stale"),
    ]

    def get_base_queryset(self):
        return known_errors.known_error_list(self.request.user)

    def export(self):
        # Every row streams with its counts: as columns of the one query, not a query per row.
        self.get_base_queryset = lambda: known_errors.known_error_list(self.request.user).annotate(
            applied=known_errors.APPLIED, spared=known_errors.SPARED)
        return super().export()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object_list"] = known_errors.with_counts(context["object_list"])
        context["stale_days"] = known_errors.settings.KNOWN_ERROR_STALE_DAYS
        return context


def _ids(values) -> list[int]:
    return [int(value) for value in values if is_row_id(value)]


class KnownErrorSuggestionsView(RoleRequiredMixin, View):
    """The suggestions fragment: `?incident=<id>` (the incident page) or `?service=<id>&cis=<id>...`
    (the logging form, before the incident exists)."""

    def get(self, request):
        return render(request, SUGGESTIONS_TEMPLATE, suggestions_context(request))


def suggestions_context(request, *, incident=None) -> dict:
    """What the fragment shows: a constant number of queries whatever the CIs and known errors."""
    user, query = request.user, request.GET
    if incident is None and is_row_id(query.get("incident", "")):
        incident = incident_selectors.incident_get_for_user(user, int(query["incident"]), details=False)
    if incident is not None:
        service_id, ci_ids = incident.service_id, list(incident.cis.values_list("pk", flat=True))
    else:
        service = query.get("service", "")
        service_id, ci_ids = (int(service) if is_row_id(service) else None), _ids(query.getlist("cis"))
    link = selectors.problem_of_incident(incident) if incident is not None else None
    return {
        "suggestions": known_errors.known_error_suggestions(user, service_id=service_id, ci_ids=ci_ids),
        "asked": bool(service_id or ci_ids), "incident": incident,
        "linked_problem_id": link.problem_id if link else None,
        # Offered on an open incident to the people who work incidents (never auditors).
        "may_apply": incident is not None and incident.is_open and permitted(user, INCIDENT_WORKERS),
    }


class KnownErrorApplyView(RoleRequiredMixin, View):
    """POST incident=<id>, visibility=public|internal: the workaround goes onto the incident (a
    comment the caller sees, or an internal work note) and the incident is linked to the known error."""

    read_roles = ()
    write_roles = INCIDENT_WORKERS

    def post(self, request, pk):
        problem = selectors.problem_get_for_user(request.user, pk, details=False)
        incident_id = request.POST.get("incident", "")
        if not is_row_id(incident_id):
            return self._refused(request, None, _("Choose the incident to apply the workaround to."))
        incident = incident_selectors.incident_get_for_user(request.user, int(incident_id), details=False)
        try:
            services.known_error_apply(actor=request.user, problem=problem, incident=incident,
                                       public=request.POST.get("visibility") != "internal", link=True)
        except (ValidationError, DomainError) as exc:
            return self._refused(request, incident, " ".join(messages_of(exc, field_names=False)))
        messages.success(request, _("Workaround of %(problem)s applied to %(incident)s.") % {
            "problem": problem.number, "incident": incident.number})
        return redirect(reverse("incident_detail", args=[incident.pk]))

    def _refused(self, request, incident, message):
        messages.error(request, message)
        if incident is None:
            return redirect(reverse("problem_known_error_list"))
        return redirect(reverse("incident_detail", args=[incident.pk]))


urlpatterns = [
    path("known-errors/", KnownErrorListView.as_view(), name="problem_known_error_list"),
    path("known-errors/suggestions/", KnownErrorSuggestionsView.as_view(), name="problem_known_error_suggestions"),
    path("known-errors/<int:pk>/apply/", KnownErrorApplyView.as_view(), name="problem_known_error_apply"),
]
