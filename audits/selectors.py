"""Reads of the trail: only auditors and administrators read it."""

from django.db.models import F, Prefetch
from django.shortcuts import get_object_or_404

from itsm.choices import Role
from itsm.models import JournalEntry
from itsm.permissions import may
from slas.models import Timer

from .models import AuditAnchor, AuditEntry, EvidenceBundle, Sample, SampleItem, Verification

AUDIT_READERS = (Role.AUDITOR, Role.ADMINISTRATOR)


def entry_list(user):
    """The trail as `user` may read it (all or nothing), with what a row shows joined."""
    if not may(user, AUDIT_READERS):
        return AuditEntry.objects.none()
    return AuditEntry.objects.select_related("content_type")


def latest_verification(user) -> Verification | None:
    if not may(user, AUDIT_READERS):
        return None
    return Verification.objects.select_related("ran_by").first()


def anchor_list(user, limit: int = 30):
    if not may(user, AUDIT_READERS):
        return AuditAnchor.objects.none()
    return AuditAnchor.objects.all()[:limit]


def bundle_list(user):
    """Every bundle, for auditors and administrators (bundles are the audit's shared evidence)."""
    if not may(user, AUDIT_READERS):
        return EvidenceBundle.objects.none()
    return EvidenceBundle.objects.select_related("requested_by")


def bundle_get_for_user(user, pk) -> EvidenceBundle:
    return get_object_or_404(bundle_list(user), pk=pk)


def sample_list(user):
    if not may(user, AUDIT_READERS):
        return Sample.objects.none()
    return Sample.objects.select_related("created_by")


def sample_list_with_items(user):
    """Samples with their items in order (as `item_list`) and each item's record type: a constant
    number of queries for a page of samples."""
    items = SampleItem.objects.select_related("content_type").order_by("position")
    return sample_list(user).prefetch_related(Prefetch("items", queryset=items, to_attr="item_list"))


def sample_get_for_user(user, pk) -> Sample:
    return get_object_or_404(sample_list(user), pk=pk)


def sample_item_get_for_user(user, pk) -> SampleItem:
    items = SampleItem.objects.filter(sample__in=sample_list(user)).select_related("sample", "content_type")
    return get_object_or_404(items, pk=pk)


def record_dossier(content_type, object_id) -> dict:
    """What a sampled record's page shows: the record, its timeline (every journal entry, internal
    ones included: auditors read everything), its field history and its SLA timers with events."""
    model = content_type.model_class()
    record = get_object_or_404(model._default_manager.all(), pk=object_id)
    history = getattr(model, "history", None)
    return {
        "record": record,
        "fields": [(field.verbose_name, field.value_to_string(record)) for field in model._meta.concrete_fields],
        "journal": JournalEntry.objects.filter(content_type=content_type, object_id=object_id)
        .select_related("author").order_by("created_at", "id"),
        "history": history.model.objects.filter(**{model._meta.pk.attname: object_id})
        .select_related("history_user").order_by("history_date", "history_id") if history is not None else [],
        "timers": Timer.objects.filter(content_type=content_type, object_id=object_id)
        .select_related("target", "calendar_version", "ola_team").prefetch_related("events")
        .order_by(F("ola_team_id").asc(nulls_first=True), "metric", "cycle"),  # the customer's first
    }
