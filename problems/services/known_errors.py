"""Known errors at work: applying a problem's workaround to an incident (and linking it)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import Incident
from incidents.services import incident_comment
from incidents.workflow import INCIDENT_WORKERS
from itsm.events import emit
from itsm.permissions import require

from ..models import Problem, ProblemIncident
from .links import problem_link_incidents


@transaction.atomic
def known_error_apply(*, actor, problem: Problem, incident: Incident, public: bool = True,
                      link: bool = True) -> ProblemIncident | None:
    """Apply the known error's workaround to an incident: a journal entry on the incident (a
    comment the caller sees, or an internal work note, as the agent chooses) and, with `link`,
    the incident linked to the problem as spared an investigation of its own. Counts on the
    known error (applications, incidents spared). Event `problem.workaround_applied`."""
    require(actor, INCIDENT_WORKERS)
    problem = Problem.objects.get(pk=problem.pk)
    if not problem.is_known_error or not problem.workaround.strip():
        raise ValidationError({"problem": _("%(number)s has no published workaround.") % {"number": problem.number}})
    incident = Incident.objects.get(pk=incident.pk)
    body = _("Workaround from known error %(number)s: %(workaround)s") % {
        "number": problem.number, "workaround": problem.workaround}
    incident_comment(actor=actor, incident=incident, body=body, internal=not public)
    existing = ProblemIncident.objects.select_for_update().filter(incident=incident).first()
    if existing is None and link:
        problem_link_incidents(actor=actor, problem=problem, incidents=[incident], via_known_error=True)
        existing = ProblemIncident.objects.select_for_update().get(incident=incident)
    if existing is not None and existing.problem_id == problem.pk:
        existing.workaround_applied_at, existing.workaround_applied_by = timezone.now(), actor
        existing.save(update_fields=["workaround_applied_at", "workaround_applied_by"])
    emit("problem.workaround_applied", record=problem, actor=actor,
         payload={"incident": incident.pk, "public": public, "linked": existing is not None})
    return existing
