"""manage.py demo_data ends with the audit step: a sealed trail with an anchor, a reproducible
sample of high-priority incidents and a ready, verifiable evidence bundle; once."""

import json
import zipfile

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from audits import sampling
from audits.demo import DEMO_SEED
from audits.evidence import keys
from audits.evidence.bundle import bundle_path
from audits.evidence.offline import verify
from audits.models import AuditAnchor, AuditEntry, AuditSeal, EvidenceBundle, Sample
from audits.verify import verify as verify_chain
from incidents.models import Incident

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo, loaded once for the module in a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(DEBUG=True):
            call_command("demo_data", verbosity=0)
        yield
        transaction.set_rollback(True)


def test_the_whole_trail_is_sealed_intact_and_anchored(demo):
    anchor = AuditAnchor.objects.get()

    assert AuditEntry.objects.count() > 1000  # the demo's history, journals, sign-ups...
    assert AuditSeal.objects.count() == AuditEntry.objects.count()
    assert anchor.count == anchor.seq and anchor.seq < AuditSeal.objects.count()  # the build came after it
    assert verify_chain([]).ok


def test_the_auditor_has_a_sample_of_25_priority_1_and_2_incidents_drawn_again_by_its_seed(demo):
    sample = Sample.objects.get()
    incidents = Incident.objects.filter(pk__in=sample.items.values("object_id"))

    assert (sample.created_by.username, sample.seed, sample.size, sample.priorities) == (
        "auditor", DEMO_SEED, 25, [1, 2])
    assert sample.items.count() == 25 and sample.population > 25
    assert set(incidents.values_list("priority", flat=True)) <= {1, 2} and incidents.count() == 25
    again = sampling.sample_draw(actor=sample.created_by, source_key="incidents", period_start=sample.period_start,
                                 period_end=sample.period_end, size=25, seed=DEMO_SEED, priorities=[1, 2])
    assert list(again.items.values_list("object_id", flat=True)) == list(sample.items.values_list("object_id",
                                                                                                  flat=True))


def test_a_bundle_of_the_last_30_days_is_ready_and_verifies(demo):
    bundle = EvidenceBundle.objects.get()

    assert (bundle.state, bundle.progress, bundle.requested_by.username) == ("ready", 100, "auditor")
    assert {"incidents", "problems", "sla-timers", "cis"} <= set(bundle.processes)
    assert (bundle.period_end - bundle.period_start).days == 30
    problems, summary = verify(bundle_path(bundle), keys.public_key_text())
    with zipfile.ZipFile(bundle_path(bundle)) as archive:
        files = {entry["name"]: entry for entry in json.loads(archive.read("manifest.json"))["files"]}

    assert problems == [] and summary["trail_entries"] > 1000
    assert files["incidents/records.jsonl"]["rows"] > 0 and files["trail/anchors.jsonl"]["rows"] == 1


def test_a_second_run_adds_nothing(demo):
    before = (AuditAnchor.objects.count(), Sample.objects.count(), EvidenceBundle.objects.count())

    with override_settings(DEBUG=True):
        call_command("demo_data", verbosity=0)

    assert (AuditAnchor.objects.count(), Sample.objects.count(), EvidenceBundle.objects.count()) == before
