"""Permission-matrix entries of the audit pages and API (merged by
tests/itsm/test_permission_matrix.py): auditors and administrators only; verifying, asking for
an evidence bundle and drawing a sample are read actions, so auditors may post them; external
auditors' access is the administrators'."""

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from audits.models import EvidenceBundle, Sample, SampleItem
from itsm.models import User
from tests.incidents.matrix_entry import ADMINS, NOBODY, STAFF, Entry, Redirect, by_role

AUDIT = frozenset({"auditor", "administrator"})

ENTRIES = {
    "audit_trail": Entry(read=AUDIT, write=NOBODY, browser=True),
    "audit_verify": Entry(read=AUDIT, write=AUDIT, browser=True, post=Redirect("/audits/verify/")),
    "audit_evidence_list": Entry(read=AUDIT, write=AUDIT, browser=True, post=200),
    "audit_evidence_progress": Entry(read=AUDIT, write=NOBODY, browser=True, target="bundle"),
    # The matrix's bundle is still queued: the download sends back to the list with a message.
    "audit_evidence_download": Entry(read=AUDIT, write=NOBODY, browser=True, target="bundle",
                                     get=Redirect("/audits/evidence/")),
    "audit_sample_list": Entry(read=AUDIT, write=AUDIT, browser=True, post=200),
    "audit_sample_detail": Entry(read=AUDIT, write=NOBODY, browser=True, target="sample"),
    "audit_sample_item": Entry(read=AUDIT, write=NOBODY, browser=True, target="sample_item"),
    "audit_auditor_list": Entry(read=ADMINS, write=ADMINS, browser=True, post=200),
    "audit_auditor_access": Entry(read=NOBODY, write=ADMINS, browser=True, target="external_auditor",
                                  post=Redirect("/audits/auditors/")),
    "api:audits:api-root": Entry(read=STAFF, write=NOBODY),
    "api:audits:trail-list": Entry(read=AUDIT, write=NOBODY),
    "api:audits:verification": Entry(read=AUDIT, write=NOBODY),
    "api:audits:evidence-list": Entry(read=AUDIT, write=AUDIT, post=400),
    "api:audits:evidence-detail": Entry(read=AUDIT, write=NOBODY, target="bundle"),
    "api:audits:evidence-download": Entry(read=AUDIT, write=NOBODY, target="bundle", get=by_role(409),
                                          patch=False),
    "api:audits:sample-list": Entry(read=AUDIT, write=AUDIT, post=400),
    "api:audits:sample-detail": Entry(read=AUDIT, write=NOBODY, target="sample"),
}


def targets(people, base):
    now = timezone.now()
    bundle = EvidenceBundle.objects.create(requested_by=people["auditor"], period_start=now - timedelta(days=7),
                                           period_end=now, processes=["incidents"])
    sample = Sample.objects.create(source="incidents", period_start=now - timedelta(days=7), period_end=now,
                                   size=1, seed=42, population=1, created_by=people["auditor"])
    incident = base["incident"]
    item = SampleItem.objects.create(sample=sample, position=1, object_id=incident.pk, label=incident.number,
                                     content_type=ContentType.objects.get_for_model(incident))
    external = User.objects.create(username="m-external-auditor", access_expires_at=now + timedelta(days=30))
    return {"bundle": bundle, "sample": sample, "sample_item": item, "external_auditor": external}
