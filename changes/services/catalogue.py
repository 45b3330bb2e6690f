"""The standard-change catalogue: change categories, pre-approved templates (their own approval
and review date), and raising a change from a template.

Administrators keep categories and templates; change managers (and administrators) approve a
template; any staff worker raises a standard change from a usable one (active, approved and
not past its review date). Editing what was approved (plans, services, risk) voids the approval.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from itsm.choices import JournalKind, Role
from itsm.events import emit
from itsm.journal import journal_add
from itsm.permissions import require
from itsm.records import check_version, record_save, save_with_history, versioned_save
from itsm.validation import refuse_unknown

from ..choices import ChangeModel, ChangeSource
from ..models import Change, ChangeCategory, StandardChangeTemplate
from ..workflow import CHANGE_MANAGERS, CHANGE_WORKERS
from . import records, states

ADMINS = (Role.ADMINISTRATOR,)
CATEGORY_FIELDS = ("name", "description", "is_active")
TEMPLATE_FIELDS = ("name", "description", "category", "short_description", "implementation_plan", "backout_plan",
                   "test_plan", "risk", "services", "assignment_group", "duration_minutes", "is_active")
# The review date is set when the template is created and whenever it is approved, never by an edit
# (moving it later would extend an approval nobody gave).
TEMPLATE_CREATE_FIELDS = (*TEMPLATE_FIELDS, "review_date")
# What the approvers agreed to: editing any of these voids the template's approval.
APPROVED_FIELDS = ("implementation_plan", "backout_plan", "test_plan", "services", "risk")
DEFAULT_REVIEW_DAYS = 365
# What the person (or pipeline) raising a standard change may set; the template gives the rest.
FROM_TEMPLATE_FIELDS = ("short_description", "description", "planned_start", "planned_end", "cis", "implementer",
                        "assignment_group", "requester")
FROM_TEMPLATE_SOURCES = (ChangeSource.TEMPLATE, ChangeSource.PIPELINE)


# --- categories -----------------------------------------------------------------------------------

@transaction.atomic
def category_create(*, actor, data: dict) -> ChangeCategory:
    """A change category (name unique ignoring case). Administrators only. Side effects: history."""
    require(actor, ADMINS)
    refuse_unknown(data, CATEGORY_FIELDS)
    category = ChangeCategory(**data)
    _clean_category(category)
    save_with_history(category, actor=actor, reason="created")
    return category


@transaction.atomic
def category_update(*, actor, category: ChangeCategory, data: dict) -> ChangeCategory:
    """Rename, describe, (de)activate a category. Changes keep an inactive category; new ones may
    not take it. Administrators only. Side effects: history."""
    require(actor, ADMINS)
    refuse_unknown(data, CATEGORY_FIELDS)
    category = ChangeCategory.objects.select_for_update().get(pk=category.pk)
    for name, value in data.items():
        setattr(category, name, value)
    _clean_category(category)
    save_with_history(category, actor=actor, reason="updated")
    return category


def category_deactivate(*, actor, category: ChangeCategory) -> ChangeCategory:
    return category_update(actor=actor, category=category, data={"is_active": False})


def _clean_category(category: ChangeCategory) -> None:
    category.name = (category.name or "").strip()
    taken = ChangeCategory.objects.filter(name__iexact=category.name).exclude(pk=category.pk)
    if category.name and taken.exists():
        raise ValidationError({"name": _("There is already a category of this name.")})
    category.full_clean()


# --- templates ------------------------------------------------------------------------------------

@transaction.atomic
def template_create(*, actor, data: dict) -> StandardChangeTemplate:
    """A standard-change template, not approved yet (a change manager approves it). The review
    date defaults to a year from today. Administrators only. Side effects: history."""
    require(actor, ADMINS)
    refuse_unknown(data, TEMPLATE_CREATE_FIELDS)
    fields = {k: v for k, v in data.items() if k != "services"}
    fields.setdefault("review_date", timezone.localdate() + timedelta(days=DEFAULT_REVIEW_DAYS))
    template = StandardChangeTemplate(**fields)
    services = list(data.get("services") or ())
    _clean_template(template, services, newly={"category", "assignment_group"} & set(data))
    save_with_history(template, actor=actor, reason="created")
    template.services.set(services)
    emit("change_template.created", record=template, actor=actor, payload={"name": template.name})
    return template


@transaction.atomic
def template_update(*, actor, template: StandardChangeTemplate, data: dict, expected_version: int | None = None,
                    reason: str = "") -> StandardChangeTemplate:
    """Edit a template (TEMPLATE_FIELDS). An edit of its plans, services or risk voids its approval:
    it cannot be used until approved again. Administrators only. Raises StaleRecord."""
    require(actor, ADMINS)
    refuse_unknown(data, TEMPLATE_FIELDS)
    locked = StandardChangeTemplate.objects.select_for_update().get(pk=template.pk)
    check_version(locked, expected_version)
    services = list(data["services"]) if data.get("services") is not None else None
    changed = _changed_names(locked, data, services)
    for name, value in data.items():
        if name != "services":
            setattr(locked, name, value)
    _clean_template(locked, services if services is not None else list(locked.services.all()),
                    newly={n for n in ("category", "assignment_group") if n in changed})
    voided = bool(changed & set(APPROVED_FIELDS)) and locked.approved_at is not None
    if voided or (changed & {"is_active"} and locked.is_active):
        locked.approved_at = None  # approved_by stays: "edited since its approval"
    versioned_save(locked, actor=actor, reason=reason or ("updated: approval voided" if voided else "updated"))
    if services is not None and "services" in changed:
        locked.services.set(services)
    emit("change_template.updated", record=locked, actor=actor,
         payload={"fields": sorted(changed), "approval_voided": voided})
    return locked


@transaction.atomic
def template_approve(*, actor, template: StandardChangeTemplate, review_date, notes: str = "",
                     expected_version: int | None = None) -> StandardChangeTemplate:
    """Approve the template as it stands until `review_date` (after it, it must be approved again).
    Change managers and administrators. Side effects: history (the approval record), event."""
    require(actor, CHANGE_MANAGERS)
    locked = StandardChangeTemplate.objects.select_for_update().get(pk=template.pk)
    check_version(locked, expected_version)
    if not locked.is_active:
        raise ValidationError(_("%(name)s is retired: it cannot be approved.") % {"name": locked.name})
    if review_date is None:
        raise ValidationError({"review_date": _("Say until when the approval holds (the review date).")})
    if review_date <= timezone.localdate():
        raise ValidationError({"review_date": _("The review date must be after today.")})
    locked.approved_by, locked.approved_at = actor, timezone.now()
    locked.approval_notes, locked.review_date = (notes or "").strip(), review_date
    versioned_save(locked, actor=actor, reason="approved")
    emit("change_template.approved", record=locked, actor=actor,
         payload={"review_date": review_date.isoformat()})
    return locked


def template_retire(*, actor, template: StandardChangeTemplate, expected_version: int | None = None,
                    reason: str = "") -> StandardChangeTemplate:
    """Take the template out of the catalogue (changes raised from it keep it). Administrators only."""
    return template_update(actor=actor, template=template, data={"is_active": False},
                           expected_version=expected_version, reason=reason or "retired")


def template_usable(template: StandardChangeTemplate, today=None) -> str | None:
    """Why a standard change may not be raised from `template` now, or None when it may."""
    today = today or timezone.localdate()
    if not template.is_active:
        return _("The template “%(name)s” is retired.") % {"name": template.name}
    if template.approved_at is None:
        if template.approved_by_id:
            return _("The template “%(name)s” was edited since its approval: it must be approved again.") % {
                "name": template.name}
        return _("The template “%(name)s” has not been approved yet.") % {"name": template.name}
    if template.review_date < today:
        return _("The template's approval lapsed on %(date)s: it must be reviewed and approved again.") % {
            "date": formats.date_format(template.review_date, "SHORT_DATE_FORMAT")}
    return None


def _changed_names(template: StandardChangeTemplate, data: dict, services) -> set:
    changed = {n for n, v in data.items() if n != "services" and getattr(template, n) != v}
    if services is not None and {s.pk for s in services} != set(template.services.values_list("pk", flat=True)):
        changed.add("services")
    return changed


def _clean_template(template: StandardChangeTemplate, services: list, newly: set) -> None:
    """Field rules, every problem at once; a category or group newly given must be active."""
    template.name = (template.name or "").strip()
    errors = {}
    if template.name and StandardChangeTemplate.objects.filter(name__iexact=template.name).exclude(
            pk=template.pk).exists():
        errors["name"] = _("There is already a template of this name.")
    not_services = [str(ci) for ci in services if not ci.ci_type.is_service]
    if not_services:
        errors["services"] = _("Not a service: %(items)s.") % {"items": ", ".join(not_services)}
    if "category" in newly and template.category_id and not template.category.is_active:
        errors["category"] = _("%(value)s is no longer in use.") % {"value": template.category}
    if "assignment_group" in newly and template.assignment_group_id and not template.assignment_group.is_active:
        errors["assignment_group"] = _("%(team)s is not active.") % {"team": template.assignment_group}
    if template.duration_minutes is not None and template.duration_minutes < 1:
        errors["duration_minutes"] = _("A change takes at least a minute.")
    try:
        template.full_clean(exclude=["version"])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, messages)
    if errors:
        raise ValidationError(errors)


# --- raising a standard change --------------------------------------------------------------------

@transaction.atomic
def change_create_from_template(*, actor, template: StandardChangeTemplate, data: dict, reason: str = "",
                                source: str = ChangeSource.TEMPLATE, schedule: bool = False) -> Change:
    """Raise a standard change from a usable template (FROM_TEMPLATE_FIELDS in `data`; the template
    gives the plans, services, category, group and risk). A planned start without an end ends after
    the template's usual duration. `schedule`: schedule it at once (schedule_standard), in the same
    transaction: if scheduling is refused, nothing is created. Raises ValidationError (an unusable
    template), GuardFailed (scheduling refused), NotPermitted."""
    require(actor, CHANGE_WORKERS)
    refuse_unknown(data, FROM_TEMPLATE_FIELDS)
    if source not in FROM_TEMPLATE_SOURCES:
        raise ValidationError({"source": _("A standard change comes from a template or a pipeline.")})
    template = StandardChangeTemplate.objects.select_for_update(of=("self",)).select_related("category").get(pk=template.pk)
    refusal = template_usable(template)
    if refusal:
        raise ValidationError({"template": refusal})
    fields = _fields_from(template, data)
    if schedule and not (fields.get("planned_start") and fields.get("planned_end")):
        raise ValidationError({"planned_start": _("Give the planned window to schedule the change.")})
    change = records.change_create(actor=actor, data=fields, template=template, source=source,
                                   reason=reason or f"raised from standard-change template {template.pk}")
    change = _take_template_risk(change, template, actor)
    if schedule:
        change = states.change_transition(actor=actor, change=change, name="schedule_standard",
                                          reason="scheduled when raised from its template")
    return change


def _fields_from(template: StandardChangeTemplate, data: dict) -> dict:
    fields = {
        "change_model": ChangeModel.STANDARD,
        "short_description": template.short_description, "description": template.description,
        "implementation_plan": template.implementation_plan, "backout_plan": template.backout_plan,
        "test_plan": template.test_plan, "services": list(template.services.all()),
        # A category retired since keeps the template usable: the change goes without it.
        "category": template.category if template.category_id and template.category.is_active else None,
        "assignment_group": template.assignment_group,
    }
    # Left out or blank: the template's (a form's empty box, a pipeline that sends only its window).
    fields.update({k: v for k, v in data.items() if v is not None and v != ""})
    if fields.get("planned_start") and not fields.get("planned_end"):
        fields["planned_end"] = fields["planned_start"] + timedelta(minutes=template.duration_minutes)
    return fields


def _take_template_risk(change: Change, template: StandardChangeTemplate, actor) -> Change:
    """A standard change's risk is its template's, assessed when the template was approved."""
    locked = Change.objects.select_for_update().get(pk=change.pk)
    locked.risk, locked.risk_score, locked.risk_assessed_at = template.risk, None, timezone.now()
    record_save(locked, actor=actor, reason="risk of its standard-change template")
    journal_add(record=locked, actor=actor, kind=JournalKind.SYSTEM, data={
        "template": template.pk, "risk": template.risk, "approved_at": template.approved_at.isoformat(),
        "review_date": template.review_date.isoformat()},
        body=_("Raised from the standard-change template “%(name)s” (approved by %(who)s, review date %(date)s); "
               "risk %(risk)s as the template says.") % {
            "name": template.name, "who": template.approved_by, "risk": template.get_risk_display(),
            "date": formats.date_format(template.review_date, "SHORT_DATE_FORMAT")})
    return locked
