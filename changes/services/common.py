"""What the modules of changes.services share: the fields people set, the cross-field rules,
the journal of assignments and the impact computed from the CMDB."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from config_items.models import ConfigurationItem
from config_items.selectors import dependents_of
from incidents.choices import Impact
from itsm.choices import JournalKind
from itsm.events import emit
from itsm.journal import journal_add
from itsm.permissions import may

from ..choices import BEFORE_IMPLEMENTATION, ChangeModel
from ..models import Change
from ..workflow import CHANGE_WORKERS

# What people set on a change (assignment has its own service, the state its workflow, risk the
# questionnaire). The model is chosen while the change is still being assessed.
DETAIL_FIELDS = ("short_description", "description", "justification", "category",
                 "implementation_plan", "backout_plan", "test_plan", "planned_start", "planned_end",
                 "services", "cis", "problems", "caused_incidents", "implementer")
EDITABLE_FIELDS = (*DETAIL_FIELDS, "change_model", "assignment_group")
CREATE_FIELDS = (*EDITABLE_FIELDS, "requester")
M2M_FIELDS = ("services", "cis", "problems", "caused_incidents")
# An edit of these after approval voids it: the approvers agreed to this window, these CIs, these plans.
MATERIAL_FIELDS = ("planned_start", "planned_end", "services", "cis", "implementation_plan", "backout_plan",
                   "test_plan")


def refuse_final(change: Change) -> None:
    if change.state in Change.workflow.final_states:
        raise ValidationError(_("%(number)s is %(state)s and can no longer be changed.") % {
            "number": change.number, "state": change.get_state_display()})


def validate(change: Change, m2m: dict) -> None:
    """Cross-field rules; raises one ValidationError with every problem found."""
    errors = {}
    if change.planned_start and change.planned_end and change.planned_end <= change.planned_start:
        errors["planned_end"] = _("The planned end must be after the planned start.")
    if change.category_id and not change.category.is_active:
        errors["category"] = _("%(value)s is no longer in use.") % {"value": change.category}
    if change.assignment_group_id and not change.assignment_group.is_active:
        errors["assignment_group"] = _("%(team)s is not active.") % {"team": change.assignment_group}
    if change.implementer_id:
        if not may(change.implementer, CHANGE_WORKERS):
            errors["implementer"] = _("%(user)s does not work changes.") % {"user": change.implementer}
        elif change.assignment_group_id and not change.assignment_group.members.filter(
                pk=change.implementer_id).exists():
            errors["implementer"] = _("%(user)s is not a member of %(team)s.") % {
                "user": change.implementer, "team": change.assignment_group}
    if change.change_model == ChangeModel.STANDARD and change.template_id is None:
        errors["change_model"] = _("A standard change is raised from a template of the catalogue.")
    services = m2m.get("services")
    if services:
        not_services = [str(ci) for ci in services if not ci.ci_type.is_service]
        if not_services:
            errors["services"] = _("Not a service: %(items)s.") % {"items": ", ".join(not_services)}
    if errors:
        raise ValidationError(errors)


def refuse_model_change(change: Change, data: dict) -> None:
    new = data.get("change_model")
    if new is None or new == change.change_model:
        return
    if change.state not in BEFORE_IMPLEMENTATION[:2]:
        raise ValidationError({"change_model": _("The change model is chosen while the change is assessed.")})
    if new == ChangeModel.STANDARD or change.change_model == ChangeModel.STANDARD:
        raise ValidationError({"change_model": _("Standard changes come from the catalogue: raise a new one.")})


def assignment_summary(change: Change) -> dict:
    return {"group": change.assignment_group_id, "implementer": change.implementer_id}


def journal_assignment(change: Change, actor, before: dict) -> None:
    after = assignment_summary(change)
    if after == before:
        return
    journal_add(
        record=change, actor=actor, kind=JournalKind.ASSIGNMENT, is_public=False,
        body=_("Assigned to %(who)s") % {
            "who": " / ".join(str(x) for x in (change.assignment_group, change.implementer) if x) or _("nobody")},
        data={"from": before, "to": after},
    )
    emit("change.assigned", record=change, actor=actor, payload={"from": before, "to": after})


def impact_of(cis, services) -> tuple[set, int, int]:
    """(impacted service ids, their customers, impact) of a change on `cis` and `services`.
    Impacted services: the affected services, and every service that depends on the affected CIs
    through the CMDB (CHANGE_IMPACT_DEPTH steps). The more customers they have, the higher the
    impact (CHANGE_IMPACT_CUSTOMERS: from how many customers impact is high, medium)."""
    ci_ids = [ci.pk for ci in cis]
    reached = dependents_of(ci_ids, depth=settings.CHANGE_IMPACT_DEPTH) if ci_ids else {}
    impacted = set(ConfigurationItem.objects.filter(pk__in=list(reached), ci_type__is_service=True)
                   .values_list("pk", flat=True))
    impacted |= {service.pk for service in services}
    customers = ConfigurationItem.customers.through.objects.filter(
        configurationitem_id__in=impacted).values("customer_id").distinct().count()
    high, medium = settings.CHANGE_IMPACT_CUSTOMERS
    impact = Impact.HIGH if customers >= high else Impact.MEDIUM if customers >= medium else Impact.LOW
    if impacted and impact == Impact.LOW and len(impacted) > 1:
        impact = Impact.MEDIUM  # more than one service at stake is never a low impact
    return impacted, customers, impact
