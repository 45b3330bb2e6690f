"""Reads of the trail: only auditors and administrators read it."""

from itsm.choices import Role
from itsm.permissions import may

from .models import AuditAnchor, AuditEntry, Verification

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
