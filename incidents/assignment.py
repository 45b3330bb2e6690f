"""Assignment rules: which group an incident logged without one goes to.

Administrators keep a short list of rules (service and/or category → assignment group). When
an incident is logged without an assignment group — from the portal, a monitoring alert, the
API or the service desk's form — `incident_create` asks `default_group_for` and assigns the
group of the most specific active rule. An incident that no rule matches stays without a
group and waits in the *Triage (no group)* queue (incidents.selectors, queue "triage").

Specificity, most specific first (docs/incidents.md, "Assignment rules"):
    service and subcategory > service and category > service > subcategory > category > neither
then the lowest `order`, then the oldest rule. A rule naming a subcategory matches incidents of
that subcategory; one naming a top-level category matches every incident of that category.
A rule whose group is inactive is skipped (an incident cannot be assigned to it).

Writes (administrators only) are services like any other: `assignment_rule_create`,
`assignment_rule_update` (history, version, `expected_version`).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils.translation import gettext as _

from itsm.permissions import ADMIN_ROLES, require
from itsm.records import check_version, save_with_history, versioned_save
from itsm.validation import apply_fields, refuse_unknown

from .models import AssignmentRule

RULE_FIELDS = ("name", "service", "category", "assignment_group", "order", "is_active")


def _pk(value):
    return getattr(value, "pk", value)


def matching_rules(service=None, category=None, subcategory=None):
    """Active rules (with an active group) that apply to an incident of this service, category
    and subcategory (objects or ids, each may be None), most specific first."""
    service, category, subcategory = _pk(service), _pk(category), _pk(subcategory)
    categories = [pk for pk in (category, subcategory) if pk is not None]
    rules = AssignmentRule.objects.filter(is_active=True, assignment_group__is_active=True)
    rules = rules.filter(Q(service__isnull=True) | Q(service_id=service) if service is not None
                         else Q(service__isnull=True))
    rules = rules.filter(Q(category__isnull=True) | Q(category_id__in=categories) if categories
                         else Q(category__isnull=True))
    # service 4, subcategory 2, category 1: the sum orders every combination as the docstring says.
    whens = [When(category__isnull=True, then=Value(0))]
    if subcategory is not None:
        whens.append(When(category_id=subcategory, then=Value(2)))
    category_weight = Case(*whens, default=Value(1), output_field=IntegerField())
    service_weight = Case(When(service__isnull=True, then=Value(0)), default=Value(4),
                          output_field=IntegerField())
    return rules.annotate(specificity=service_weight + category_weight).order_by("-specificity", "order", "pk")


def default_group_for(service=None, category=None, subcategory=None):
    """The assignment group of the most specific active rule for this service and category, or
    None when no rule applies. One query, whatever the number of rules."""
    rule = matching_rules(service, category, subcategory).select_related("assignment_group").first()
    return rule.assignment_group if rule is not None else None


def apply_default_group(incident) -> None:
    """Give `incident` (not saved yet) the group of the matching rule when it has none."""
    if not incident.assignment_group_id:
        group = default_group_for(incident.service_id, incident.category_id, incident.subcategory_id)
        if group is not None:
            incident.assignment_group = group


# --- writes ---------------------------------------------------------------------------------------

def _check(rule: AssignmentRule) -> None:
    errors = {}
    if rule.service_id and not rule.service.ci_type.is_service:
        errors["service"] = _("%(ci)s is not a service.") % {"ci": rule.service}
    if rule.assignment_group_id and not rule.assignment_group.is_active:
        errors["assignment_group"] = _("%(team)s is not active.") % {"team": rule.assignment_group}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def assignment_rule_create(*, actor, data: dict) -> AssignmentRule:
    """Create an assignment rule. Administrators only. It applies to incidents logged from now
    on. Side effects: history row."""
    require(actor, ADMIN_ROLES)
    refuse_unknown(data, RULE_FIELDS)
    rule = AssignmentRule(**data)
    rule.name = (rule.name or "").strip()
    _check(rule)
    rule.full_clean()
    save_with_history(rule, actor=actor, reason="created")
    return rule


@transaction.atomic
def assignment_rule_update(*, actor, rule: AssignmentRule, data: dict,
                           expected_version: int | None = None) -> AssignmentRule:
    """Change an assignment rule (deactivate it with `is_active=False`: rules are not deleted,
    their history stays). Administrators only. Side effects: history row. Raises StaleRecord."""
    require(actor, ADMIN_ROLES)
    refuse_unknown(data, RULE_FIELDS)
    rule = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
    check_version(rule, expected_version)
    apply_fields(rule, data, RULE_FIELDS)
    rule.name = (rule.name or "").strip()
    _check(rule)
    versioned_save(rule, actor=actor, reason="updated")
    return rule
