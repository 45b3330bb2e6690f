"""What administrators set for incident management: the priority matrix and the categories;
and what agents keep for themselves: their saved queue filters. (Assignment rules are in
incidents.assignment.)"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from itsm.exceptions import NotPermitted
from itsm.permissions import ADMIN_ROLES, STAFF_ROLES, require
from itsm.records import save_with_history
from itsm.validation import apply_fields

from ..choices import DEFAULT_PRIORITY_MATRIX
from ..models import Category, PriorityRule, SavedFilter


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


@transaction.atomic
def saved_filter_create(*, actor, name: str, query: str, list_name: str = "incidents") -> SavedFilter:
    """Save the actor's current filter of a list page under a name (replacing one of the same
    name on that list). Anyone on the staff who writes may keep their own filters."""
    require(actor, STAFF_ROLES)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Name the filter.")})
    saved, _created = SavedFilter.objects.update_or_create(owner=actor, list_name=list_name, name=name,
                                                           defaults={"query": query.lstrip("?")[:1000]})
    return saved


@transaction.atomic
def saved_filter_delete(*, actor, saved_filter: SavedFilter) -> None:
    if saved_filter.owner_id != actor.pk:
        raise NotPermitted()
    saved_filter.delete()
