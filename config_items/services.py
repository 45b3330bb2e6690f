"""Every write of configuration management: CI types, CIs, relationships, baselines.

Each function takes a keyword-only `actor`, runs in one transaction, checks the actor's role
itself (it is called from the API, the browser, imports and commands alike), records history
with the actor and a reason, and refuses bad input with a ValidationError keyed by field
("attributes.<name>" for attribute values) before anything is written.
"""

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.choices import JournalKind
from itsm.events import emit, emit_many
from itsm.models import JournalEntry
from itsm.permissions import ADMIN_ROLES, require
from itsm.records import check_version, next_numbers, record_create, record_save, save_with_history, versioned_save
from itsm.validation import apply_fields, refuse_unknown
from itsm.workflow import transition_apply

from . import selectors
from .attributes import clean_attributes, validate_schema
from .choices import CIStatus
from .models import Baseline, CIType, ConfigurationItem, Relationship, RelationshipType
from .workflow import CMDB_WRITERS

CI_TYPE_FIELDS = ("name", "slug", "description", "is_service", "attribute_schema", "is_active")
RELATIONSHIP_TYPE_FIELDS = ("slug", "forward_label", "reverse_label", "is_active")
# Plain model fields of a CI that callers set directly (customers and attributes are special).
CI_SCALAR_FIELDS = ("name", "ci_type", "environment", "description", "owner_team", "source", "external_id",
                    "service_owner", "hours_of_service", "catalogue_status")
CI_FIELDS = (*CI_SCALAR_FIELDS, "customers", "attributes", "status")
CATALOGUE_FIELDS = ("service_owner", "hours_of_service", "catalogue_status")
# How many CIs a refused schema change names in its message, so the error stays readable.
EXAMPLES_IN_ERRORS = 5


# --- small helpers -------------------------------------------------------------

def _value_key(value):
    """A comparable form of a field value: model instances compare by primary key."""
    return getattr(value, "pk", value)


# --- CI types ----------------------------------------------------------------------------------

@transaction.atomic
def ci_type_create(*, actor, data: dict) -> CIType:
    """Create a CI type with its attribute schema. Administrators only. Side effects: history."""
    require(actor, ADMIN_ROLES)
    refuse_unknown(data, CI_TYPE_FIELDS)
    ci_type = CIType(**data)
    ci_type.attribute_schema = validate_schema(data.get("attribute_schema", []))
    ci_type.full_clean()
    save_with_history(ci_type, actor=actor, reason="created")
    return ci_type


@transaction.atomic
def ci_type_update(*, actor, ci_type: CIType, data: dict, expected_version: int | None = None) -> CIType:
    """Change a CI type. Administrators only. Side effects: history row. Raises StaleRecord.

    A schema change that would make existing CIs of the type invalid (an attribute they use
    removed or retyped, a choice they hold dropped, a new required attribute they lack) is
    refused, naming some of those CIs: the data must be fixed first, never silently broken.
    """
    require(actor, ADMIN_ROLES)
    refuse_unknown(data, CI_TYPE_FIELDS)
    ci_type = CIType.objects.select_for_update().get(pk=ci_type.pk)
    check_version(ci_type, expected_version)
    old_schema = ci_type.attribute_schema
    apply_fields(ci_type, data, CI_TYPE_FIELDS)
    ci_type.attribute_schema = validate_schema(ci_type.attribute_schema)
    if ci_type.attribute_schema != old_schema:
        _refuse_schema_breaking_items(ci_type)
    if not ci_type.is_service:
        _refuse_losing_catalogue_entries(ci_type)
    versioned_save(ci_type, actor=actor, reason="updated")
    return ci_type


def _refuse_schema_breaking_items(ci_type: CIType) -> None:
    broken = []
    rows = ConfigurationItem.objects.filter(ci_type=ci_type).values_list("number", "attributes")
    for number, attributes in rows.iterator(chunk_size=2000):
        try:
            clean_attributes(ci_type.attribute_schema, attributes)
        except ValidationError as exc:
            broken.append((number, exc.message_dict))
    if broken:
        examples = "; ".join(
            f"{number} ({', '.join(f'{k}: {v[0]}' for k, v in errors.items())})"
            for number, errors in broken[:EXAMPLES_IN_ERRORS]
        )
        raise ValidationError({"attribute_schema": _(
            "%(count)s CIs of this type would no longer be valid with this schema, for example %(examples)s. "
            "Change or clear their attributes first."
        ) % {"count": len(broken), "examples": examples}})


def _refuse_losing_catalogue_entries(ci_type: CIType) -> None:
    in_catalogue = ConfigurationItem.objects.filter(ci_type=ci_type).exclude(catalogue_status="")
    if in_catalogue.exists():
        raise ValidationError({"is_service": _(
            "CIs of this type are in the service catalogue; take them out of it before the type stops "
            "being a service type."
        )})


# --- relationship types ------------------------------------------------------------------------

@transaction.atomic
def relationship_type_create(*, actor, data: dict) -> RelationshipType:
    """Create a relationship type. Administrators only. Side effects: history row."""
    require(actor, ADMIN_ROLES)
    refuse_unknown(data, RELATIONSHIP_TYPE_FIELDS)
    relationship_type = RelationshipType(**data)
    relationship_type.full_clean()
    save_with_history(relationship_type, actor=actor, reason="created")
    return relationship_type


@transaction.atomic
def relationship_type_update(*, actor, relationship_type: RelationshipType, data: dict) -> RelationshipType:
    """Change a relationship type's labels or retire it. Administrators only. Side effects: history.

    The model carries no version: these are labels edited by administrators, last write wins.
    """
    require(actor, ADMIN_ROLES)
    relationship_type = RelationshipType.objects.select_for_update().get(pk=relationship_type.pk)
    apply_fields(relationship_type, data, RELATIONSHIP_TYPE_FIELDS)
    relationship_type.full_clean()
    save_with_history(relationship_type, actor=actor, reason="updated")
    return relationship_type


# --- configuration items -----------------------------------------------------------------------

@transaction.atomic
def ci_create(*, actor, data: dict, reason: str = "") -> ConfigurationItem:
    """Create a CI. Status starts "planned" unless `data["status"]` is given (imports, discovery).

    Attributes are validated against the type's schema; catalogue fields only on service types.
    Side effects: one history row (with the customers), event "configurationitem.created".
    """
    require(actor, CMDB_WRITERS)
    ci = _new_ci(data)
    # One history row holding the customers too (as ci_create_many writes it), rather than
    # the row of the save plus one more that simple_history adds for the m2m change.
    ci.skip_history_when_saving = True
    try:
        record_create(ci, actor=actor, reason=reason or "created")
    finally:
        del ci.skip_history_when_saving
    _store_customers_with_history([ci], actor=actor, reason=reason or "created", when=ci.created_at)
    emit("configurationitem.created", record=ci, actor=actor,
         payload={"number": ci.number, "type": ci.ci_type.slug, "status": ci.status})
    return ci


_NULLABLE = ("ci_type", "owner_team", "service_owner")
# Checked by the database (foreign keys, the number sequence) or by ci_create_many's own
# batched queries, so the per-row full_clean of a bulk create skips their per-row queries.
_CHECKED_IN_BULK = ("number", "ci_type", "owner_team", "service_owner", "created_by", "updated_by")


@transaction.atomic
def ci_create_many(*, actor, items: list[dict], reason: str = "") -> list:
    """Create many CIs at once (imports): the same rules as `ci_create`, item by item, and the
    same side effects (history rows with customers, one "configurationitem.created" event per
    CI), written in a few statements instead of some thirty per CI.

    Returns, in order, each item's new CI or the ValidationError that refused it; refused items
    write nothing, the others are all written. A concurrent writer taking the same
    (source, external_id) meanwhile makes the insert fail with IntegrityError (then retry the
    items one by one with `ci_upsert`).
    """
    require(actor, CMDB_WRITERS)
    results = [_prepared_ci(data) for data in items]
    _refuse_taken_external_ids(results)
    valid = [ci for ci in results if isinstance(ci, ConfigurationItem)]
    if not valid:
        return results
    now = timezone.now()
    for ci, number in zip(valid, next_numbers(ConfigurationItem.NUMBER_PREFIX, len(valid)), strict=True):
        ci.number, ci.created_by, ci.updated_by, ci.created_at, ci.updated_at = number, actor, actor, now, now
    ConfigurationItem.objects.bulk_create(valid)
    _store_customers_with_history(valid, actor=actor, reason=reason or "created", when=now)
    emit_many("configurationitem.created", valid, actor=actor,
              payloads=[{"number": ci.number, "type": ci.ci_type.slug, "status": ci.status} for ci in valid])
    return results


def _new_ci(data: dict) -> ConfigurationItem:
    """An unsaved CI from service input, checked by the rules that need no database access."""
    refuse_unknown(data, CI_FIELDS)
    ci = ConfigurationItem()
    for name in CI_SCALAR_FIELDS:
        if name in data:
            setattr(ci, name, data[name] if data[name] is not None or name in _NULLABLE else "")
    if "status" in data:
        ci.status = data["status"]
    _check_type_and_catalogue(ci, type_changed=True)
    ci.attributes = clean_attributes(ci.ci_type.attribute_schema, data.get("attributes") or {})
    if ci.status == CIStatus.LIVE and ci.owner_team_id is None:
        raise ValidationError({"owner_team": _("Set an owner team before the CI goes live.")})
    ci._customers_to_set = list(data.get("customers") or [])
    _refuse_retired_choices(team=ci.owner_team if ci.owner_team_id else None, customers=ci._customers_to_set)
    return ci


def _refuse_retired_choices(*, team=None, customers=(), kept=frozenset()) -> None:
    """A team or customer no longer in use is not newly given to a CI (the form offers only
    active ones); a CI keeps one retired since (`kept`: the ids of its customers)."""
    errors = {}
    if team is not None and not team.is_active:
        errors["owner_team"] = _("%(value)s is no longer in use.") % {"value": team}
    retired = [str(c) for c in customers if not c.is_active and c.pk not in kept]
    if retired:
        errors["customers"] = _("%(value)s is no longer in use.") % {"value": ", ".join(retired)}
    if errors:
        raise ValidationError(errors)


def _prepared_ci(data: dict):
    """An unsaved CI checked as ci_create checks it, or the ValidationError refusing it."""
    try:
        ci = _new_ci(data)
        ci.full_clean(exclude=_CHECKED_IN_BULK, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return exc
    return ci


def _refuse_taken_external_ids(results: list) -> None:
    """Replace, in place, the CIs whose (source, external_id) exists or repeats in the batch."""
    keyed = [(i, ci) for i, ci in enumerate(results) if isinstance(ci, ConfigurationItem) and ci.external_id]
    if not keyed:
        return
    taken = set(ConfigurationItem.objects.filter(external_id__in={ci.external_id for _, ci in keyed})
                .values_list("source", "external_id"))
    for index, ci in keyed:
        key = (ci.source, ci.external_id)
        if key in taken:
            results[index] = ValidationError({"external_id": _(
                "A CI from %(source)s with the external ID %(id)s exists already.") % {
                "source": ci.source or "-", "id": ci.external_id}})
        taken.add(key)


def _store_customers_with_history(cis: list, *, actor, reason: str, when) -> None:
    """Link new CIs to their `_customers_to_set` and write each one "+" history row, customers
    included, in a fixed number of statements."""
    through = ConfigurationItem.customers.through
    links = [through(configurationitem_id=ci.pk, customer_id=customer.pk)
             for ci in cis for customer in ci._customers_to_set]
    through.objects.bulk_create(links)
    history = ConfigurationItem.history
    rows = history.bulk_history_create(cis, default_user=actor, default_change_reason=reason[:100],
                                       default_date=when)
    # simple_history keeps each history row's customers in a model of its own
    customers_history = apps.get_model("config_items", "HistoricalConfigurationItem_customers")
    row_of = {row.id: row for row in rows}
    customers_history.objects.bulk_create([
        customers_history(history=row_of[link.configurationitem_id], id=link.pk,
                          configurationitem_id=link.configurationitem_id, customer_id=link.customer_id)
        for link in links
    ])


@transaction.atomic
def ci_update(*, actor, ci: ConfigurationItem, data: dict, expected_version: int | None = None,
              reason: str = "") -> ConfigurationItem:
    """Change a CI's fields; only what differs is written, and nothing at all if nothing differs.

    A type change re-validates the attributes. A different `status` is reached through the
    lifecycle step that leads there (with its guards), so the lifecycle is never bypassed.
    Side effects: history row, event "configurationitem.updated" (with the changed fields).
    Raises StaleRecord.
    """
    require(actor, CMDB_WRITERS)
    refuse_unknown(data, CI_FIELDS)
    ci = ConfigurationItem.objects.select_for_update().select_related("ci_type").get(pk=ci.pk)
    check_version(ci, expected_version)
    changed = _apply_ci_changes(ci, data)
    customers_changed = "customers" in data and _customers_differ(ci, data["customers"])
    _refuse_retired_choices(team=ci.owner_team if "owner_team" in changed and ci.owner_team_id else None,
                            customers=(data["customers"] or []) if customers_changed else (),
                            kept=set(ci.customers.values_list("pk", flat=True)) if customers_changed else ())
    target_status = data.get("status")
    if target_status and target_status != ci.status and target_status not in CIStatus.values:
        raise ValidationError({"status": _("Unknown status “%(status)s”.") % {"status": target_status}})
    if changed or customers_changed:
        if customers_changed:
            changed.append("customers")
            _set_customers_without_history(ci, data["customers"])  # the save below records them
        record_save(ci, actor=actor, reason=reason or "updated")
        emit("configurationitem.updated", record=ci, actor=actor, payload={"fields": sorted(changed)})
    if target_status and target_status != ci.status:
        ci = _move_to_status(ci, target_status, actor=actor, reason=reason)
    return ci


def _apply_ci_changes(ci: ConfigurationItem, data: dict) -> list[str]:
    """Set the scalar fields and attributes that differ; return the names of those changed."""
    changed = []
    for name in CI_SCALAR_FIELDS:
        if name not in data:
            continue
        value = data[name] if data[name] is not None or name in _NULLABLE else ""
        if _value_key(getattr(ci, name)) != _value_key(value):
            setattr(ci, name, value)
            changed.append(name)
    type_changed = "ci_type" in changed
    _check_type_and_catalogue(ci, type_changed=type_changed)
    if "attributes" in data or type_changed:
        values = data.get("attributes", ci.attributes)
        attributes = clean_attributes(ci.ci_type.attribute_schema, values or {})
        if attributes != ci.attributes:
            ci.attributes = attributes
            changed.append("attributes")
    if ci.owner_team_id is None and ci.status in (CIStatus.LIVE, CIStatus.IN_MAINTENANCE):
        raise ValidationError({"owner_team": _("A live CI needs an owner team.")})
    return changed


def _check_type_and_catalogue(ci: ConfigurationItem, *, type_changed: bool) -> None:
    if ci.ci_type_id is None:
        raise ValidationError({"ci_type": _("Choose the type of the CI.")})
    if type_changed and not ci.ci_type.is_active:
        raise ValidationError({"ci_type": _("The type “%(type)s” is no longer in use.") % {"type": ci.ci_type}})
    if not ci.ci_type.is_service:
        misplaced = [name for name in CATALOGUE_FIELDS if getattr(ci, name) not in (None, "")]
        if misplaced:
            raise ValidationError({name: _("Only services have catalogue fields.") for name in misplaced})


def _customers_differ(ci: ConfigurationItem, customers) -> bool:
    return {c.pk for c in customers or []} != set(ci.customers.values_list("pk", flat=True))


def _set_customers_without_history(ci: ConfigurationItem, customers) -> None:
    # simple_history writes a history row on every m2m change; the record_save that follows
    # writes one row holding the new customers, with the reason, so skip the extra one here.
    ci.skip_history_when_saving = True
    try:
        ci.customers.set(list(customers or []))
    finally:
        del ci.skip_history_when_saving


def _move_to_status(ci: ConfigurationItem, target: str, *, actor, reason: str) -> ConfigurationItem:
    workflow = ConfigurationItem.workflow
    steps = [t for t in workflow.transitions if ci.status in t.sources and t.target == target]
    if not steps:
        raise ValidationError({"status": _("A CI cannot go from %(old)s to %(new)s.") % {
            "old": CIStatus(ci.status).label, "new": CIStatus(target).label}})
    return transition_apply(actor=actor, record=ci, name=steps[0].name, reason=reason)


@transaction.atomic
def ci_upsert(*, actor, source: str, external_id: str, data: dict,
              reason: str = "") -> tuple[ConfigurationItem, bool]:
    """Create or update the CI a discovery tool knows as (`source`, `external_id`).

    Idempotent: the same data twice writes nothing the second time. Concurrency-safe: two
    syncs racing for a new CI both try to insert; the unique constraint on (source,
    external_id) lets one win, and the loser, inside its own savepoint, updates the winner's
    row instead. Returns (ci, created).
    """
    require(actor, CMDB_WRITERS)
    source, external_id = (source or "").strip(), (external_id or "").strip()
    if not source or not external_id:
        raise ValidationError({
            **({"source": _("Name the system the CI comes from.")} if not source else {}),
            **({"external_id": _("Give the CI's identifier in that system.")} if not external_id else {}),
        })
    data = {k: v for k, v in data.items() if k not in ("source", "external_id")}
    existing = _locked_by_external_id(source, external_id)
    if existing is None:
        try:
            with transaction.atomic():
                ci = ci_create(actor=actor, data={**data, "source": source, "external_id": external_id},
                               reason=reason or "discovered")
            return ci, True
        except (IntegrityError, ValidationError) as exc:
            existing = _locked_by_external_id(source, external_id)
            if existing is None:  # a real validation error, not a lost race
                raise exc from None
    return ci_update(actor=actor, ci=existing, data=data, reason=reason or "synchronised"), False


def _locked_by_external_id(source: str, external_id: str) -> ConfigurationItem | None:
    return (ConfigurationItem.objects.select_for_update().select_related("ci_type")
            .filter(source=source, external_id=external_id).first())


# --- relationships -----------------------------------------------------------------------------

@transaction.atomic
def relationship_create(*, actor, source: ConfigurationItem, target: ConfigurationItem,
                        type: RelationshipType, reason: str = "") -> Relationship:
    """Record that `source` depends on `target` in the way `type` says.

    Refuses a link of a CI to itself, a duplicate, an inactive type and retired CIs.
    Side effects: history row, a system journal entry on both CIs, event "relationship.created".
    """
    require(actor, CMDB_WRITERS)
    # The callers' instances may be old: decide on the CIs' current state.
    current = ConfigurationItem.objects.in_bulk([source.pk, target.pk])
    source, target = current.get(source.pk, source), current.get(target.pk, target)
    _refuse_bad_link(source, target, type)
    relationship = Relationship(source=source, target=target, type=type, created_by=actor)
    try:
        with transaction.atomic():
            save_with_history(relationship, actor=actor, reason=reason or "created")
    except IntegrityError:  # a concurrent caller added the same link after our check
        raise ValidationError({"target": _duplicate_message(source, target, type)}) from None
    _journal_link(relationship, actor=actor, added=True)
    emit("relationship.created", record=relationship, actor=actor,
         payload={"relationship": relationship.pk, "source": source.pk, "target": target.pk, "type": type.slug})
    return relationship


def _refuse_bad_link(source, target, type) -> None:
    _refuse_link_by_rules(source, target, type)
    if Relationship.objects.filter(source=source, target=target, type=type).exists():
        raise ValidationError({"target": _duplicate_message(source, target, type)})


def _refuse_link_by_rules(source, target, type) -> None:
    """The checks of a new link that need no database access."""
    if source.pk == target.pk:
        raise ValidationError({"target": _("A CI cannot depend on itself.")})
    if not type.is_active:
        raise ValidationError({"type": _("The relationship type “%(type)s” is no longer in use.") % {"type": type}})
    for name, ci in (("source", source), ("target", target)):
        if ci.status == CIStatus.RETIRED:
            raise ValidationError({name: _("%(ci)s is retired.") % {"ci": ci}})


def _duplicate_message(source, target, type) -> str:
    return _("%(source)s already %(label)s %(target)s.") % {
        "source": source.number, "label": type.forward_label, "target": target.number}


@transaction.atomic
def relationship_delete(*, actor, relationship: Relationship, reason: str = "") -> None:
    """Remove a relationship. Side effects: a history row of the deletion naming the actor,
    a system journal entry on both CIs, event "relationship.deleted"."""
    require(actor, CMDB_WRITERS)
    relationship = Relationship.objects.select_for_update().select_related("source", "target", "type").get(
        pk=relationship.pk)
    _journal_link(relationship, actor=actor, added=False)
    emit("relationship.deleted", record=relationship, actor=actor,
         payload={"relationship": relationship.pk, "source": relationship.source_id,
                  "target": relationship.target_id, "type": relationship.type.slug})
    relationship._history_user = actor
    relationship._change_reason = (reason or "deleted")[:100]
    relationship.delete()


def _journal_link(relationship: Relationship, *, actor, added: bool) -> None:
    JournalEntry.objects.bulk_create(_link_entries(relationship, actor=actor, added=added))


def _link_entries(relationship: Relationship, *, actor, added: bool) -> list[JournalEntry]:
    """The system journal entries of a link added or removed: one on each CI, each read from
    that CI's side ("runs on" on the source, "hosts" on the target)."""
    source, target, kind = relationship.source, relationship.target, relationship.type
    data = {"relationship": relationship.pk, "source": source.pk, "target": target.pk, "type": kind.slug,
            "action": "added" if added else "removed"}
    if added:
        on_source = _("Relationship added: %(source)s %(label)s %(target)s.")
        on_target = _("Relationship added: %(target)s %(label)s %(source)s.")
    else:
        on_source = _("Relationship removed: %(source)s %(label)s %(target)s.")
        on_target = _("Relationship removed: %(target)s %(label)s %(source)s.")
    names = {"source": source, "target": target}
    content_type = ContentType.objects.get_for_model(ConfigurationItem)
    return [
        JournalEntry(content_type=content_type, object_id=ci.pk, kind=JournalKind.SYSTEM, is_public=False,
                     body=body % {**names, "label": label}, data=data, author=actor)
        for ci, body, label in ((source, on_source, kind.forward_label), (target, on_target, kind.reverse_label))
    ]


@transaction.atomic
def relationship_create_many(*, actor, links: list[tuple], reason: str = "") -> list:
    """Create many relationships at once (imports): `links` holds (source, target, type)
    triples; the same rules and side effects as `relationship_create` (history, journal entries
    on both CIs, one event each) in a few statements.

    Returns, in order, each new Relationship or the ValidationError refusing it (refused links
    write nothing). A concurrent writer adding one of the links meanwhile makes the insert fail
    with IntegrityError (then create them one by one).
    """
    require(actor, CMDB_WRITERS)
    current = ConfigurationItem.objects.in_bulk({ci.pk for source, target, _kind in links for ci in (source, target)})
    taken = set(Relationship.objects.filter(source_id__in={s.pk for s, _t, _k in links},
                                            target_id__in={t.pk for _s, t, _k in links})
                .values_list("source_id", "target_id", "type_id"))
    results = []
    for source, target, kind in links:
        source, target = current.get(source.pk, source), current.get(target.pk, target)
        try:
            _refuse_link_by_rules(source, target, kind)
            if (source.pk, target.pk, kind.pk) in taken:
                raise ValidationError({"target": _duplicate_message(source, target, kind)})
        except ValidationError as exc:
            results.append(exc)
            continue
        taken.add((source.pk, target.pk, kind.pk))
        results.append(Relationship(source=source, target=target, type=kind, created_by=actor))
    valid = [r for r in results if isinstance(r, Relationship)]
    if valid:
        Relationship.objects.bulk_create(valid)
        Relationship.history.bulk_history_create(valid, default_user=actor, default_change_reason=(reason or "created")[:100])
        JournalEntry.objects.bulk_create([e for r in valid for e in _link_entries(r, actor=actor, added=True)])
        emit_many("relationship.created", valid, actor=actor, payloads=[
            {"relationship": r.pk, "source": r.source_id, "target": r.target_id, "type": r.type.slug} for r in valid])
    return results


# --- baselines ---------------------------------------------------------------------------------

@transaction.atomic
def baseline_create(*, actor, root: ConfigurationItem, name: str, reason: str) -> Baseline:
    """Snapshot `root` and everything it depends on, transitively, with the relationships among
    them. Side effects: history row, event "baseline.created"."""
    require(actor, CMDB_WRITERS)
    errors = {}
    if not (name or "").strip():
        errors["name"] = _("Give the baseline a name.")
    if not (reason or "").strip():
        errors["reason"] = _("Say why the baseline is taken (a release, an audit, a change).")
    if errors:
        raise ValidationError(errors)
    baseline = Baseline(name=name.strip(), reason=reason.strip(), root=root, snapshot=selectors.snapshot_of(root))
    record_create(baseline, actor=actor, reason="created")
    emit("baseline.created", record=baseline, actor=actor,
         payload={"root": root.pk, "items": len(baseline.snapshot["items"])})
    return baseline
