"""Problems seen from the incidents: the problem panel of the incident page (registered in
incidents.panels by problems.navigation), its actions, problems made from ticked incidents,
and the incident picker of the "link incidents" form.

Incidents never import any of this: the panel and the queue's "Create problem" button reach
these URLs through incidents.panels.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.generic import View

from incidents import selectors as incident_selectors
from incidents.workflow import INCIDENT_WORKERS
from itsm.exceptions import DomainError, messages_of
from itsm.inputs import is_row_id
from itsm.permissions import permitted

from .. import selectors, services
from ..forms import IncidentLinkForm, WaiverForm
from ..models import ProblemWaiver
from ..workflow import PROBLEM_MANAGERS, PROBLEM_WORKERS
from .common import ProblemMixin

SEARCH_RESULTS = 20


def incident_panel(incident, user) -> dict | None:
    """The incident page's problem panel: the linked problem, or (for problem workers) the ways to
    link one; for a major incident without one, the recorded reason or the form to record it."""
    if not selectors.may_read_problems(user):
        return None
    link = selectors.problem_of_incident(incident)
    may_work = permitted(user, PROBLEM_WORKERS)
    may_waive = incident.is_major and link is None and permitted(user, (*INCIDENT_WORKERS, *PROBLEM_MANAGERS))
    waiver = ProblemWaiver.objects.filter(incident_id=incident.pk).select_related("recorded_by").first() \
        if incident.is_major and link is None else None
    problem = link.problem if link else None
    return {
        "incident": incident, "link": link, "problem": problem,
        # The linked known error's workaround, offered to apply while the incident is open.
        "workaround": problem.workaround if problem is not None and problem.is_known_error else "",
        "may_apply": permitted(user, INCIDENT_WORKERS) and incident.is_open,
        "may_link": may_work and link is None and incident.state not in incident.workflow.final_states,
        "waiver": waiver, "may_waive": may_waive and waiver is None,
        "link_form": IncidentLinkForm(), "waiver_form": WaiverForm(),
    }


def safe_next(request, fallback: str) -> str:
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return fallback


def ticked_incidents(request, user) -> list:
    """The incidents whose ids are posted as `incidents` that the user may read."""
    ids = [value for value in request.POST.getlist("incidents") if is_row_id(value)]
    return list(incident_selectors.incident_list(user).filter(pk__in=ids).prefetch_related("cis")) if ids else []


class ProblemFromIncidentsView(ProblemMixin, View):
    """A problem made from the ticked incidents (the queue's "Create problem") or from one incident
    (its page), their fields carried over and linked; then the new problem's page."""

    def post(self, request):
        incidents = ticked_incidents(request, request.user)
        back = safe_next(request, reverse("incident_list"))
        if not incidents:
            messages.error(request, _("Tick at least one incident."))
            return redirect(back)
        try:
            problem = services.problem_from_incidents(actor=request.user, incidents=incidents,
                                                      hold=request.POST.get("hold") == "on")
        except (ValidationError, DomainError) as exc:
            messages.error(request, " ".join(messages_of(exc)))
            return redirect(back)
        messages.success(request, _("Problem %(number)s created from %(numbers)s.") % {
            "number": problem.number, "numbers": ", ".join(sorted(i.number for i in incidents))})
        return redirect("problem_detail", pk=problem.pk)


class IncidentActionMixin(ProblemMixin):
    """An action of the problem panel on the incident page: back to that page, with a message."""

    @cached_property
    def incident(self):
        return incident_selectors.incident_get_for_user(self.request.user, self.kwargs["pk"], details=False)

    def back(self, message="", error=None):
        if error is not None:
            messages.error(self.request, " ".join(messages_of(error)))
        elif message:
            messages.success(self.request, message)
        return redirect(reverse("incident_detail", args=[self.incident.pk]) + "#problem-panel")


class IncidentLinkProblemView(IncidentActionMixin, View):
    """Link the incident to an existing problem, typed by its number."""

    def post(self, request, pk):
        form = IncidentLinkForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
            return self.back()
        problem = selectors.problem_get_for_user(request.user, form.cleaned_data["problem"].pk)
        try:
            services.problem_link_incidents(actor=request.user, problem=problem, incidents=[self.incident],
                                            hold=form.cleaned_data["hold"])
        except (ValidationError, DomainError) as exc:
            return self.back(error=exc)
        return self.back(_("Linked to problem %(number)s.") % {"number": problem.number})


class IncidentWaiveProblemView(IncidentActionMixin, View):
    """Record why a major incident needs no problem (it may then close without one)."""

    write_roles = (*INCIDENT_WORKERS, *PROBLEM_MANAGERS)

    def post(self, request, pk):
        form = WaiverForm(request.POST)
        if not form.is_valid():
            return self.back(error=ValidationError(_("Say why no problem is needed.")))
        try:
            services.major_incident_waive_problem(actor=request.user, incident=self.incident,
                                                  reason=form.cleaned_data["reason"])
        except (ValidationError, DomainError) as exc:
            return self.back(error=exc)
        return self.back(_("Recorded why %(number)s needs no problem.") % {"number": self.incident.number})


class IncidentSearchView(ProblemMixin, View):
    """The incident picker of "link incidents": {"results": [{"value": id, "text": "INC… text"}]}."""

    def get(self, request):
        query = request.GET.get("q", "").strip()
        incidents = incident_selectors.incident_list(request.user).select_related(None)
        if query:
            incidents = incident_selectors.incident_search(incidents, query)
        rows = incidents.order_by("-opened_at", "-id").values("pk", "number", "short_description")[:SEARCH_RESULTS]
        return JsonResponse({"results": [{"value": row["pk"], "text": f"{row['number']} {row['short_description']}"}
                                         for row in rows]})
