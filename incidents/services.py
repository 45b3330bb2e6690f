"""Every write of incident management.

Each function takes a keyword-only `actor`, runs in one transaction, checks the actor's role
itself (the browser, the portal, the API, tasks and commands all call it), records history
with the actor and a reason, and refuses bad input with a ValidationError keyed by field
before anything is written. Events are recorded in the same transaction; notifications
leave through the outbox (incidents.notifications).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config_items.models import ConfigurationItem
from itsm.attachments import attachment_add
from itsm.choices import JournalKind
from itsm.events import emit
from itsm.exceptions import DomainError, NotPermitted, messages_of
from itsm.journal import journal_add, record_comment
from itsm.models import Team
from itsm.permissions import ADMIN_ROLES, may, permitted, require
from itsm.records import check_version, next_number, record_create, record_save, save_with_history
from itsm.services import system_actor
from itsm.validation import apply_fields, refuse_unknown
from itsm.workflow import transition_apply
from slas.services import timers_sync

from .assignment import apply_default_group, assignment_rule_create, assignment_rule_update  # noqa: F401
from .choices import DEFAULT_PRIORITY_MATRIX, OPEN_STATES, Channel, IncidentState
from .models import Category, Incident, PriorityRule, SavedFilter
from .workflow import CALLERS, INCIDENT_WORKERS

# What the service desk sets on an incident (assignment has its own service, the state its workflow).
EDITABLE_FIELDS = ("short_description", "description", "caller", "contact_name", "contact_email",
                   "contact_phone", "customer", "service", "cis", "category", "subcategory", "impact",
                   "urgency", "channel", "parent")
CREATE_FIELDS = (*EDITABLE_FIELDS, "assignment_group", "assignee", "correlation_key")
# What a requester may say when reporting an incident in the portal.
PORTAL_FIELDS = ("short_description", "description", "service", "urgency", "contact_phone")
AUTO_CLOSE_BATCH = 500


# --- permissions --------------------------------------------------------------------------------

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


# --- priority matrix and categories -------------------------------------------------------------

def priority_for(impact: int, urgency: int) -> int:
    """The priority the administrators' matrix gives this impact and urgency."""
    rule = PriorityRule.objects.filter(impact=impact, urgency=urgency).values_list("priority", flat=True).first()
    return rule if rule is not None else DEFAULT_PRIORITY_MATRIX[(int(impact), int(urgency))]


@transaction.atomic
def priority_matrix_update(*, actor, cells: dict[tuple[int, int], int]) -> int:
    """Set cells of the matrix, {(impact, urgency): priority}: all of them or, if one is
    refused, none. Administrators only. Applies to incidents classified from now on; existing
    priorities stay as they were decided. Side effects: a history row per cell that changes.
    Returns how many cells changed."""
    require(actor, ADMIN_ROLES)
    unknown = sorted(cell for cell in cells if cell not in DEFAULT_PRIORITY_MATRIX)
    if unknown:
        raise ValidationError(_("There is no cell for impact %(impact)s and urgency %(urgency)s.") % {
            "impact": unknown[0][0], "urgency": unknown[0][1]})
    rules = {(r.impact, r.urgency): r for r in PriorityRule.objects.select_for_update()}
    changed = 0
    for (impact, urgency), priority in sorted(cells.items()):
        rule = rules.get((impact, urgency)) or PriorityRule(
            impact=impact, urgency=urgency, priority=DEFAULT_PRIORITY_MATRIX[(impact, urgency)])
        if rule.priority == priority:
            continue
        rule.priority = priority
        rule.full_clean(validate_constraints=False)
        save_with_history(rule, actor=actor, reason="priority matrix changed")
        changed += 1
    return changed


@transaction.atomic
def category_create(*, actor, name: str, parent: Category | None = None, is_active: bool = True) -> Category:
    """Create a category (or, with a parent, a subcategory). Administrators only."""
    require(actor, ADMIN_ROLES)
    category = Category(name=name.strip(), parent=parent, is_active=is_active)
    _refuse_taken_name(category)
    category.full_clean()
    save_with_history(category, actor=actor, reason="created")
    return category


@transaction.atomic
def category_update(*, actor, category: Category, data: dict) -> Category:
    """Rename, move or (de)activate a category. Administrators only. Side effects: history row."""
    require(actor, ADMIN_ROLES)
    category = Category.objects.select_for_update().get(pk=category.pk)
    apply_fields(category, data, ("name", "parent", "is_active"))
    if category.parent_id and category.parent_id == category.pk:
        raise ValidationError({"parent": _("A category cannot be its own parent.")})
    if category.parent_id and category.subcategories.exists():
        raise ValidationError({"parent": _("A category with subcategories cannot become a subcategory.")})
    category.name = category.name.strip()
    _refuse_taken_name(category)
    category.full_clean()
    save_with_history(category, actor=actor, reason="updated")
    return category


def _refuse_taken_name(category: Category) -> None:
    """Names differ among siblings also in case ("Network" and "network" would read as one);
    the database's unique constraints, case-sensitive, stay the guarantee under concurrency."""
    siblings = Category.objects.filter(parent_id=category.parent_id, name__iexact=category.name)
    if category.pk:
        siblings = siblings.exclude(pk=category.pk)
    if category.name and siblings.exists():
        raise ValidationError({"name": _("There is already a category of this name here.")})


# --- validation shared by create and update ----------------------------------------------------

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


# --- create -------------------------------------------------------------------------------------

@transaction.atomic
def incident_create(*, actor, data: dict, reason: str = "") -> Incident:
    """Log an incident. The service desk sets any field of CREATE_FIELDS; a requester reports
    for themself (PORTAL_FIELDS, channel portal). Priority comes from the matrix.
    Side effects: history, journal (assignment), events `incident.created` (and
    `incident.assigned` when assigned at once), notifications through the outbox."""
    data = dict(data)
    if is_worker(actor):
        refuse_unknown(data, CREATE_FIELDS)
    else:
        require(actor, CALLERS)
        refuse_unknown(data, PORTAL_FIELDS)
        _refuse_unoffered_service(data.get("service"))
        data.update(caller=actor, channel=Channel.PORTAL)
    _refuse_retired_choices(data)
    cis = data.pop("cis", None)
    incident = Incident(opened_at=timezone.now(), **data)
    if incident.correlation_key:
        incident.alert_count = 1  # the monitoring alert that logs it
    if incident.caller_id and not incident.customer_id:
        incident.customer = _customer_of(incident)
    incident.priority = priority_for(incident.impact, incident.urgency)
    apply_default_group(incident)  # no group given: the assignment rules' (incidents.assignment)
    _validate(incident)
    record_create(incident, actor=actor, reason=reason or "created")
    if cis:
        incident.cis.set(cis)
    if incident.assignment_group_id:
        _journal_assignment(incident, actor, {"group": None, "assignee": None})
    emit("incident.created", record=incident, actor=actor, payload={"priority": incident.priority})
    _sync_clocks(incident, actor, "logged", created=True)
    return incident


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


def _sync_clocks(incident: Incident, actor, what: str, *, created: bool = False) -> None:
    """Bring the incident's SLA timers in line with it, in this transaction (slas engine)."""
    timers_sync(incident, cause=f"{incident.number} {what} ({actor.username})", created=created)


def _customer_of(incident: Incident):
    """A caller's customer is the one customer of their service, when there is exactly one."""
    if incident.service_id:
        customers = list(incident.service.customers.all()[:2])
        if len(customers) == 1:
            return customers[0]
    return None


@dataclass(frozen=True)
class AlertOutcome:
    incident: Incident
    created: bool


def incident_report_alert(*, actor, correlation_key: str, data: dict) -> AlertOutcome:
    """A monitoring alert: a new incident, or, while an incident with the same correlation key
    is open, one more line on its timeline (and `alert_count` + 1). Concurrent alerts with one
    key create one incident: the database refuses a second open incident with that key.
    Side effects: as incident_create, or journal entry + event `incident.alert_repeated`."""
    require(actor, INCIDENT_WORKERS)
    key = correlation_key.strip()
    if not key:
        raise ValidationError({"correlation_key": _("A correlation key is required.")})
    for _attempt in range(3):
        try:
            with transaction.atomic():
                existing = Incident.objects.select_for_update().filter(correlation_key=key, state__in=OPEN_STATES).first()
                if existing is not None:
                    return AlertOutcome(_repeat_alert(existing, actor, data), created=False)
                incident = incident_create(
                    actor=actor, data={**data, "correlation_key": key, "channel": Channel.MONITORING},
                    reason="created by monitoring alert",
                )
                return AlertOutcome(incident, created=True)
        except IntegrityError:
            continue  # a concurrent alert created it first: join that incident on the next try
        except ValidationError:
            # full_clean checks the one-open-incident-per-key constraint too, and may see the incident
            # a concurrent alert has just committed: join it on the next try as well.
            if not Incident.objects.filter(correlation_key=key, state__in=OPEN_STATES).exists():
                raise
    raise ValidationError({"correlation_key": _("Could not record the alert; try again.")})


def _repeat_alert(incident: Incident, actor, data: dict) -> Incident:
    incident.alert_count += 1
    # alert_count is a counter, not a decision: no new version (an agent editing the incident is not
    # told to reload for it), but a history row like every write (the row is locked and fresh).
    save_with_history(incident, actor=actor, reason="alert repeated")
    journal_add(record=incident, actor=actor, kind=JournalKind.SYSTEM, is_public=False,
                body=data.get("description") or data.get("short_description", ""),
                data={"alert": incident.alert_count, "short_description": data.get("short_description", "")})
    emit("incident.alert_repeated", record=incident, actor=actor, payload={"alert_count": incident.alert_count})
    return incident


# --- update and assignment ------------------------------------------------------------------------

@transaction.atomic
def incident_update(*, actor, incident: Incident, data: dict, expected_version: int | None = None,
                    reason: str = "") -> Incident:
    """Change classification and details (EDITABLE_FIELDS, plus assignment_group/assignee).
    A new impact or urgency re-derives the priority. Final incidents are refused.
    Side effects: history, journal (priority, assignment), events `incident.updated`,
    `incident.priority_changed`, `incident.assigned`. Raises StaleRecord."""
    require(actor, INCIDENT_WORKERS)
    refuse_unknown(data, (*EDITABLE_FIELDS, "assignment_group", "assignee"))
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    check_version(locked, expected_version)
    _refuse_final(locked)
    _refuse_retired_choices(data, before=locked)
    data = dict(data)
    cis = data.pop("cis", None)
    before_assignment = _assignment_summary(locked)
    before_priority = locked.priority
    old_group = locked.assignment_group_id
    for name, value in data.items():
        setattr(locked, name, value)
    locked.priority = priority_for(locked.impact, locked.urgency)
    _validate(locked)
    _count_reassignment(locked, old_group)
    changed = sorted(data)
    record_save(locked, actor=actor, reason=reason or "updated")
    if cis is not None:
        locked.cis.set(cis)
    if locked.priority != before_priority:
        journal_add(record=locked, actor=actor, kind=JournalKind.SYSTEM, is_public=False,
                    body=_("Priority changed from P%(old)s to P%(new)s") % {"old": before_priority,
                                                                          "new": locked.priority},
                    data={"field": "priority", "from": before_priority, "to": locked.priority})
        emit("incident.priority_changed", record=locked, actor=actor,
             payload={"from": before_priority, "to": locked.priority})
    _journal_assignment(locked, actor, before_assignment)
    emit("incident.updated", record=locked, actor=actor, payload={"fields": changed})
    _sync_clocks(locked, actor, f"P{before_priority} → P{locked.priority}" if locked.priority != before_priority
                 else "updated")
    return locked


def _count_reassignment(incident: Incident, old_group) -> None:
    # A reassignment is a move from one group to another (the first assignment is not one).
    if old_group is not None and incident.assignment_group_id != old_group:
        incident.reassignment_count += 1


@transaction.atomic
def incident_assign(*, actor, incident: Incident, group: Team | None, assignee=None,
                    expected_version: int | None = None, reason: str = "") -> Incident:
    """Assign to a group and optionally one of its members. Side effects: history, journal
    (assignment), event `incident.assigned` (notifies assignee and group). Raises StaleRecord."""
    require(actor, INCIDENT_WORKERS)
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    check_version(locked, expected_version)
    _refuse_final(locked)
    before = _assignment_summary(locked)
    old_group = locked.assignment_group_id
    locked.assignment_group, locked.assignee = group, assignee
    _validate(locked)
    if _assignment_summary(locked) == before:
        return locked
    _count_reassignment(locked, old_group)
    record_save(locked, actor=actor, reason=reason or "assigned")
    _journal_assignment(locked, actor, before)
    _sync_clocks(locked, actor, "assigned")
    return locked


def incident_assign_to_me(*, actor, incident: Incident, expected_version: int | None = None) -> Incident:
    """Take the incident: keep its group if the actor belongs to it, else the actor's first team."""
    require(actor, INCIDENT_WORKERS)
    teams = list(actor.teams.filter(is_active=True).order_by("name"))
    group = next((t for t in teams if t.pk == incident.assignment_group_id), teams[0] if teams else None)
    if group is None:
        raise ValidationError({"assignee": _("You are not a member of any team, so you cannot take incidents.")})
    return incident_assign(actor=actor, incident=incident, group=group, assignee=actor,
                           expected_version=expected_version, reason="assigned to self")


# --- state ----------------------------------------------------------------------------------------

def incident_transition(*, actor, incident: Incident, name: str, data: dict | None = None, reason: str = "",
                        expected_version: int | None = None) -> Incident:
    """Move the incident through workflow step `name` (see incidents.workflow). Resolving a
    parent resolves its open children with the same resolution code and notes. Side effects: as transition_apply, per
    child too. Raises TransitionNotAllowed, GuardFailed, NotPermitted, StaleRecord."""
    require_worker_or_caller(actor, incident)
    data = data or {}
    with transaction.atomic():
        record = transition_apply(actor=actor, record=incident, name=name, data=data, reason=reason,
                                  expected_version=expected_version)
        _sync_clocks(record, actor, f"{name} → {record.get_state_display()}")
        if name == "resolve":
            _resolve_children(record, actor)
    return record


def _mark_first_response(incident: Incident, actor) -> None:
    incident.first_response_at = timezone.now()
    record_save(incident, actor=actor, reason="first response")


def _resolve_children(parent: Incident, actor) -> None:
    children = parent.children.filter(state__in=OPEN_STATES).order_by("pk")
    for child in children:
        child = transition_apply(
            actor=actor, record=child, name="resolve",
            data={"resolution_code": parent.resolution_code, "resolution_notes": parent.resolution_notes},
            reason=_("Resolved with parent incident %(number)s") % {"number": parent.number},
        )
        _sync_clocks(child, actor, f"resolved with {parent.number}")


def close_resolved_incidents(*, now=None, batch_size: int = AUTO_CLOSE_BATCH) -> int:
    """Close incidents resolved more than INCIDENT_AUTO_CLOSE_DAYS ago, as the system account,
    in a bounded batch (the periodic task runs again for the rest). Safe to run twice: a
    closed incident no longer matches. Returns how many were closed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.INCIDENT_AUTO_CLOSE_DAYS)
    due = list(Incident.objects.filter(state=IncidentState.RESOLVED, resolved_at__lte=cutoff)
               .order_by("resolved_at").values_list("pk", flat=True)[:batch_size])
    actor, closed = system_actor(), 0
    reason = _("Closed automatically %(days)s days after resolution") % {"days": settings.INCIDENT_AUTO_CLOSE_DAYS}
    for pk in due:
        incident = Incident.objects.get(pk=pk)
        try:
            with transaction.atomic():
                incident = transition_apply(actor=actor, record=incident, name="close", reason=reason)
                _sync_clocks(incident, actor, "closed automatically")
        except Exception:  # noqa: BLE001  one odd record must not stop the batch; it is retried next run
            continue
        closed += 1
    return closed


# --- journal, major incidents, attachments --------------------------------------------------------

def incident_comment(*, actor, incident: Incident, body: str, internal: bool = False):
    """A comment (visible to the caller) or, for the service desk, an internal work note.
    A service-desk comment is the first response if none was recorded. Side effects:
    journal entry, event `incident.commented` (notifies the assignee when the caller writes)."""
    require_worker_or_caller(actor, incident)
    if internal and not is_worker(actor):
        raise NotPermitted(_("Only the service desk writes work notes."))
    _refuse_final(incident)
    with transaction.atomic():
        entry = record_comment(record=incident, actor=actor, body=body, internal=internal)
        if is_worker(actor) and not internal and incident.first_response_at is None:
            locked = Incident.objects.select_for_update().get(pk=incident.pk)
            if locked.first_response_at is None:
                _mark_first_response(locked, actor)
                _sync_clocks(locked, actor, "first response (comment)")
    return entry


@transaction.atomic
def incident_promote_major(*, actor, incident: Incident, reason: str,
                           expected_version: int | None = None) -> Incident:
    """Declare a major incident. Side effects: history, journal, event `incident.major_promoted`
    (notifies the team leads)."""
    require(actor, INCIDENT_WORKERS)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why this is a major incident.")})
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    check_version(locked, expected_version)
    _refuse_final(locked)
    if locked.is_major:
        raise ValidationError(_("%(number)s is already a major incident.") % {"number": locked.number})
    locked.is_major, locked.major_reason = True, reason.strip()
    record_save(locked, actor=actor, reason="promoted to major incident")
    journal_add(record=locked, actor=actor, kind=JournalKind.SYSTEM, is_public=False,
                body=_("Promoted to major incident: %(reason)s") % {"reason": locked.major_reason},
                data={"major": True})
    emit("incident.major_promoted", record=locked, actor=actor, payload={"reason": locked.major_reason})
    return locked


@transaction.atomic
def incident_demote_major(*, actor, incident: Incident, reason: str,
                          expected_version: int | None = None) -> Incident:
    """End the major-incident status (e.g. declared by mistake). Side effects: history, journal."""
    require(actor, INCIDENT_WORKERS)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why this is no longer a major incident.")})
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    check_version(locked, expected_version)
    if not locked.is_major:
        raise ValidationError(_("%(number)s is not a major incident.") % {"number": locked.number})
    locked.is_major = False
    record_save(locked, actor=actor, reason="major incident status removed")
    journal_add(record=locked, actor=actor, kind=JournalKind.SYSTEM, is_public=False,
                body=_("No longer a major incident: %(reason)s") % {"reason": reason.strip()},
                data={"major": False})
    emit("incident.major_demoted", record=locked, actor=actor, payload={"reason": reason.strip()})
    return locked


def incident_communicate(*, actor, incident: Incident, body: str, audience: str = "stakeholders"):
    """Record a major-incident communication (status update to stakeholders) on the timeline.
    Refused on an incident that is not (or no longer) major. Side effects: public journal
    entry, event `incident.communication`."""
    require(actor, INCIDENT_WORKERS)
    if not Incident.objects.filter(pk=incident.pk, is_major=True).exists():  # as it is now, not as read
        raise ValidationError(_("Communications are for major incidents."))
    if not body.strip():
        raise ValidationError({"body": _("Write the communication first.")})
    with transaction.atomic():
        entry = journal_add(record=incident, actor=actor, kind=JournalKind.COMMENT, is_public=True,
                            body=body.strip(), data={"communication": True, "audience": audience})
        emit("incident.communication", record=incident, actor=actor, payload={"entry": entry.pk})
    return entry


def incident_attach(*, actor, incident: Incident, upload):
    """Attach a file (size and type limits in settings). Service desk or the caller.
    Side effects: stored file, journal entry, event `incident.attachment_added`."""
    require_worker_or_caller(actor, incident)
    _refuse_final(incident)
    return attachment_add(record=incident, actor=actor, upload=upload)


# --- bulk actions ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class BulkResult:
    incident: Incident
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def incidents_bulk(*, actor, incidents, operation: str, **kwargs) -> list[BulkResult]:
    """Apply one operation ("assign" with group/assignee, or "transition" with name/data/reason)
    to each incident, each through its own service call and transaction: one refusal does not
    undo the others, and every change is recorded like a single one."""
    require(actor, INCIDENT_WORKERS)
    results = []
    for incident in incidents:
        try:
            if operation == "assign":
                incident_assign(actor=actor, incident=incident, group=kwargs["group"],
                                assignee=kwargs.get("assignee"), reason="bulk assignment")
            elif operation == "transition":
                incident_transition(actor=actor, incident=incident, name=kwargs["name"],
                                    data=kwargs.get("data"), reason=kwargs.get("reason", ""))
            else:
                raise ValueError(f"unknown bulk operation {operation!r}")
        except (ValidationError, DomainError) as exc:
            results.append(BulkResult(incident, " ".join(messages_of(exc, field_names=False))))
        else:
            results.append(BulkResult(incident))
    return results


# --- saved filters --------------------------------------------------------------------------------

@transaction.atomic
def saved_filter_create(*, actor, name: str, query: str) -> SavedFilter:
    """Save the actor's current queue filter under a name (replacing one of the same name)."""
    require(actor, INCIDENT_WORKERS)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Name the filter.")})
    saved, _created = SavedFilter.objects.update_or_create(owner=actor, name=name,
                                                           defaults={"query": query.lstrip("?")[:1000]})
    return saved


@transaction.atomic
def saved_filter_delete(*, actor, saved_filter: SavedFilter) -> None:
    if saved_filter.owner_id != actor.pk:
        raise NotPermitted()
    saved_filter.delete()


# --- historical import ----------------------------------------------------------------------------

IMPORT_FIELDS = (*EDITABLE_FIELDS, "assignment_group", "assignee", "priority", "state", "on_hold_reason",
                 "resolution_code", "resolution_notes", "opened_at", "first_response_at", "resolved_at",
                 "closed_at", "updated_at", "external_id", "is_major", "major_reason")


# Historical imports are the administrators'.
IMPORTERS = ADMIN_ROLES


@transaction.atomic
def incident_import_one(*, actor, data: dict, source: str) -> Incident:
    """Write one incident from another tool as it was there: its state (any, closed included),
    resolution and original instants, with a new INC number. Administrators only. The row is
    written as it stands, not walked through the workflow, and raises no notification.
    Side effects: history row ("imported by <user> from <source>"), SYSTEM journal entry,
    event `incident.imported`."""
    require(actor, IMPORTERS)
    data = dict(data)
    refuse_unknown(data, IMPORT_FIELDS)
    cis = data.pop("cis", None)
    updated_at = data.pop("updated_at", None)
    incident = Incident(**data)
    errors = {}
    incident.external_id = (incident.external_id or "").strip()
    if not incident.external_id:
        errors["external_id"] = _("The external ID (the number in the old tool) is required.")
    elif Incident.objects.filter(external_id=incident.external_id).exists():
        errors["external_id"] = _("An incident with external ID %(id)s was already imported.") % {
            "id": incident.external_id}
    if not incident.opened_at:
        errors["opened_at"] = _("The opening instant is required.")
    else:
        for name in ("first_response_at", "resolved_at", "closed_at", "updated_at"):
            value = updated_at if name == "updated_at" else getattr(incident, name)
            if value and value < incident.opened_at:
                errors[name] = _("This instant is before the incident was opened.")
    state = incident.state
    if state == IncidentState.ON_HOLD and not incident.on_hold_reason:
        errors["on_hold_reason"] = _("An incident on hold needs the on-hold reason.")
    if state in (IncidentState.RESOLVED, IncidentState.CLOSED) and not incident.resolved_at:
        errors["resolved_at"] = _("A resolved or closed incident needs its resolution instant.")
    if state in (IncidentState.CLOSED, IncidentState.CANCELLED) and not incident.closed_at:
        errors["closed_at"] = _("A closed or cancelled incident needs its closing instant.")
    if state in OPEN_STATES and (incident.resolved_at or incident.closed_at):
        errors["state"] = _("An open incident cannot have a resolution or closing instant.")
    if errors:
        raise ValidationError(errors)
    if not data.get("priority"):
        incident.priority = priority_for(incident.impact, incident.urgency)
    if incident.caller_id and not incident.customer_id:
        incident.customer = _customer_of(incident)
    _validate(incident)
    reason = f"imported by {actor.username} from {source}"
    incident.number = next_number(Incident.NUMBER_PREFIX)
    incident.created_by = incident.updated_by = actor
    incident.created_at = incident.opened_at
    incident.updated_at = updated_at or max(
        d for d in (incident.opened_at, incident.first_response_at, incident.resolved_at, incident.closed_at) if d)
    incident.full_clean()
    save_with_history(incident, actor=actor, reason=reason)
    if cis:
        incident.cis.set(cis)
    journal_add(record=incident, actor=actor, kind=JournalKind.SYSTEM, is_public=False,
                body=_("Imported by %(user)s from %(source)s (external ID %(id)s)") % {
                    "user": actor.username, "source": source, "id": incident.external_id},
                data={"imported": True, "source": source, "external_id": incident.external_id})
    emit("incident.imported", record=incident, actor=actor, payload={"source": source})
    return incident
