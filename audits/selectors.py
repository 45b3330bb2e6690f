"""Reads of the trail: only auditors and administrators read it."""

from django.shortcuts import get_object_or_404

from itsm.choices import Role
from itsm.permissions import may

from .models import AuditAnchor, AuditEntry, EvidenceBundle, Sample, Verification

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


def sample_get_for_user(user, pk) -> Sample:
    return get_object_or_404(sample_list(user), pk=pk)
