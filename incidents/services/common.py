"""What the other modules of incidents.services share: the fields the service desk and the
portal set, who works incidents, the cross-field rules of create and update, the assignment
journal and the SLA clocks (timers_sync in the caller's transaction)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from config_items.models import ConfigurationItem
from itsm.choices import JournalKind
from itsm.events import emit
from itsm.exceptions import NotPermitted
from itsm.journal import journal_add
from itsm.permissions import may, permitted, require
from slas.services import timers_sync

from ..models import Incident
from ..workflow import CALLERS, INCIDENT_WORKERS

# What the service desk sets on an incident (assignment has its own service, the state its workflow).
EDITABLE_FIELDS = ("short_description", "description", "caller", "contact_name", "contact_email",
                   "contact_phone", "customer", "service", "cis", "category", "subcategory", "impact",
                   "urgency", "channel", "parent")


CREATE_FIELDS = (*EDITABLE_FIELDS, "assignment_group", "assignee", "correlation_key")


# What a requester may say when reporting an incident in the portal.
PORTAL_FIELDS = ("short_description", "description", "service", "urgency", "contact_phone")


def is_worker(user) -> bool:
    """Agents, team leads and administrators work incidents; auditors never write."""
    return permitted(user, INCIDENT_WORKERS)


def require_worker_or_caller(actor, incident: Incident) -> None:
    """The service desk, or the incident's own caller (a requester in the portal)."""
    if is_worker(actor):
        return
    require(actor, CALLERS)
    if incident.caller_id != actor.pk:
        raise NotPermitted()


def _refuse_final(incident: Incident) -> None:
    if incident.state in Incident.workflow.final_states:
        raise ValidationError(_("%(number)s is %(state)s and can no longer be changed.") % {
            "number": incident.number, "state": incident.get_state_display()})


def _validate(incident: Incident, cis=None) -> None:
    """Cross-field rules; raises one ValidationError with every problem."""
    errors = {}
    if incident.subcategory_id:
        if incident.subcategory.parent_id is None:
            errors["subcategory"] = _("Choose a subcategory, not a top-level category.")
        elif incident.subcategory.parent_id != incident.category_id:
            errors["subcategory"] = _("This subcategory belongs to another category.")
    if incident.category_id and incident.category.parent_id is not None:
        errors["category"] = _("Choose a top-level category; subcategories go in the subcategory field.")
    if incident.service_id and not incident.service.ci_type.is_service:
        errors["service"] = _("%(ci)s is not a service.") % {"ci": incident.service}
    if incident.assignee_id:
        if not incident.assignment_group_id:
            errors["assignment_group"] = _("Choose the assignment group of the assignee.")
        elif not incident.assignment_group.members.filter(pk=incident.assignee_id).exists():
            errors["assignee"] = _("%(user)s is not a member of %(team)s.") % {
                "user": incident.assignee, "team": incident.assignment_group}
        elif not may(incident.assignee, INCIDENT_WORKERS):  # a team may have other members too
            errors["assignee"] = _("%(user)s does not work incidents.") % {"user": incident.assignee}
    if incident.assignment_group_id and not incident.assignment_group.is_active:
        errors["assignment_group"] = _("%(team)s is not active.") % {"team": incident.assignment_group}
    if incident.parent_id:
        parent = incident.parent
        if incident.pk and parent.pk == incident.pk:
            errors["parent"] = _("An incident cannot be its own parent.")
        elif parent.parent_id is not None:
            errors["parent"] = _("%(number)s is itself a child incident; choose its parent.") % {
                "number": parent.number}
        elif incident.pk and incident.children.exists():
            errors["parent"] = _("This incident has child incidents, so it cannot become a child.")
    if not incident.caller_id and not incident.contact_name.strip():
        errors["caller"] = _("Name the caller: a user, or a contact name.")
    if errors:
        raise ValidationError(errors)


# Offered only while active: an incident keeps one that was retired since, but none is newly given.
RETIRABLE_FIELDS = ("customer", "category", "subcategory")


def _refuse_retired_choices(data: dict, *, before: Incident | None = None) -> None:
    errors = {}
    for name in RETIRABLE_FIELDS:
        value = data.get(name)
        if value is not None and not value.is_active and getattr(before, f"{name}_id", None) != value.pk:
            errors[name] = _("%(value)s is no longer in use.") % {"value": value}
    if errors:
        raise ValidationError(errors)


def _refuse_unoffered_service(service) -> None:
    """A requester reports against the services the catalogue offers (as the portal lists them),
    not one still in the pipeline or retired; the service desk may name any service CI."""
    if service is not None and not ConfigurationItem.objects.offered().filter(pk=service.pk).exists():
        raise ValidationError({"service": _("%(service)s is not a live service of the catalogue.") % {
            "service": service.name}})


def _assignment_summary(incident: Incident) -> dict:
    return {"group": incident.assignment_group_id, "assignee": incident.assignee_id}


def _journal_assignment(incident: Incident, actor, before: dict) -> None:
    after = _assignment_summary(incident)
    if after == before:
        return
    journal_add(
        record=incident, actor=actor, kind=JournalKind.ASSIGNMENT, is_public=False,
        body=_("Assigned to %(who)s") % {
            "who": " / ".join(str(x) for x in (incident.assignment_group, incident.assignee) if x) or _("nobody")},
        data={"from": before, "to": after},
    )
    emit("incident.assigned", record=incident, actor=actor, payload={"from": before, "to": after})


def _sync_clocks(incident: Incident, actor, what: str, *, created: bool = False, signal: str = "") -> None:
    """Bring the incident's SLA timers in line with it, in this transaction (slas engine), the
    incident's row locked. `signal` (slas.choices.ClockSignal): what happened that its fields do
    not show (a reopening, a reply of the caller or of the service desk), for targets whose
    clocks start a new cycle on it."""
    timers_sync(incident, cause=f"{incident.number} {what} ({actor.username})", created=created, signal=signal)


def _customer_of(incident: Incident):
    """A caller's customer is the one customer of their service, when there is exactly one."""
    if incident.service_id:
        customers = list(incident.service.customers.all()[:2])
        if len(customers) == 1:
            return customers[0]
    return None
