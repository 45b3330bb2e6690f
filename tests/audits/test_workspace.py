"""The auditor's workspace in the browser and the API: asking for a bundle, following its
progress, downloading it; reproducible samples and their printable record pages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audits import bundles, sampling
from audits.evidence import keys
from audits.models import AuditEntry, EvidenceBundle, Sample
from incidents.models import Incident
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def evidence_dirs(settings, tmp_path):
    settings.EVIDENCE_KEY_PATH = tmp_path / "evidence-key.pem"
    settings.EVIDENCE_DIR = tmp_path / "bundles"


def today():
    return timezone.localdate()


def test_an_auditor_asks_for_a_bundle_and_sees_it_queued_with_a_polling_progress_bar(client, auditor):
    client.force_login(auditor)
    page = client.get(reverse("audit_evidence_list")).content.decode()
    assert keys.public_key_text() in page

    response = client.post(reverse("audit_evidence_list"), {
        "processes": ["incidents", "sla-timers"], "start": today() - timedelta(days=30), "end": today()}, follow=True)

    bundle = EvidenceBundle.objects.get()
    html = response.content.decode()
    assert (bundle.state, bundle.processes, bundle.requested_by) == ("queued", ["incidents", "sla-timers"], auditor)
    assert reverse("audit_evidence_progress", args=[bundle.pk]) in html and 'hx-trigger="every 2s"' in html
    assert "<progress" in html


def test_the_form_refuses_a_period_that_ends_before_it_starts(client, auditor):
    client.force_login(auditor)

    response = client.post(reverse("audit_evidence_list"), {
        "processes": ["incidents"], "start": today(), "end": today() - timedelta(days=3)})

    assert response.status_code == 200 and response.context["form"].errors["end"]
    assert not EvidenceBundle.objects.exists()


def test_a_ready_bundle_stops_polling_and_downloads_and_the_download_is_on_the_trail(client, auditor):
    bundle = bundles.bundle_request(actor=auditor, period_start=timezone.now() - timedelta(days=1),
                                    period_end=timezone.now(), processes=["incidents"])
    bundles.bundle_build(bundle.pk)
    client.force_login(auditor)

    row = client.get(reverse("audit_evidence_progress", args=[bundle.pk])).content.decode()
    download = client.get(reverse("audit_evidence_download", args=[bundle.pk]))

    assert "hx-trigger" not in row and "Ready" in row
    assert download["Content-Type"] == "application/zip"
    assert b"".join(download.streaming_content)[:2] == b"PK"
    assert AuditEntry.objects.filter(action="evidence_downloaded", username="auditor").count() == 1


def test_the_api_creates_a_bundle_once_per_idempotency_key_and_reports_its_status(api, auditor):
    api.force_authenticate(auditor)
    body = {"period_start": "2025-01-01T00:00:00Z", "period_end": "2025-04-01T00:00:00Z", "processes": ["incidents"]}

    first = api.post("/api/v1/audits/evidence/", body, format="json", HTTP_IDEMPOTENCY_KEY="q1-evidence")
    again = api.post("/api/v1/audits/evidence/", body, format="json", HTTP_IDEMPOTENCY_KEY="q1-evidence")
    status = api.get(first["Location"])
    early = api.get(f"/api/v1/audits/evidence/{first.data['id']}/download/")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content and EvidenceBundle.objects.count() == 1
    assert (status.data["state"], status.data["progress"], status.data["download_url"]) == ("queued", 0, None)
    assert early.status_code == 409


def test_the_api_downloads_a_ready_bundle(api, auditor):
    bundle = bundles.bundle_request(actor=auditor, period_start=timezone.now() - timedelta(days=1),
                                    period_end=timezone.now(), processes=["incidents"])
    bundles.bundle_build(bundle.pk)
    api.force_authenticate(auditor)

    status = api.get(f"/api/v1/audits/evidence/{bundle.pk}/")
    download = api.get(status.data["download_url"])

    assert (status.data["state"], status.data["progress"]) == ("ready", 100)
    assert download.status_code == 200 and b"".join(download.streaming_content)[:2] == b"PK"


def test_the_api_refuses_an_unknown_process_with_a_field_message(api, auditor):
    api.force_authenticate(auditor)

    response = api.post("/api/v1/audits/evidence/", {"period_start": "2025-01-01T00:00:00Z",
                                                     "period_end": "2025-04-01T00:00:00Z", "processes": ["horses"]},
                        format="json")

    assert response.status_code == 400 and "processes" in response.json()["error"]["fields"]


def _incidents(agent, count):
    return [make_incident(agent, short_description=f"Incident {n}") for n in range(count)]


def test_the_same_seed_draws_the_same_sample_and_another_seed_another(auditor, agent):
    _incidents(agent, 12)
    start, end = timezone.now() - timedelta(days=1), timezone.now() + timedelta(days=1)

    def draw(seed):
        sample = sampling.sample_draw(actor=auditor, source_key="incidents", period_start=start, period_end=end,
                                      size=5, seed=seed)
        return [item.label for item in sample.items.all()]

    assert draw(2024) == draw(2024)
    assert draw(2024) != draw(7)
    assert len(set(draw(2024))) == 5
    assert Sample.objects.first().population == 12


def test_the_draw_is_the_seeded_shuffle_of_the_ascending_ids():
    """Pinned: the algorithm auditors are told (ids ascending, random.Random(seed).sample)."""
    assert sampling.draw(list(range(1, 11)), 3, 42) == [2, 1, 5]


def test_a_sample_filters_by_priority_and_keeps_a_new_seed_shown_on_its_page(client, auditor, agent):
    high = make_incident(agent, impact=1, urgency=1)
    _incidents(agent, 3)
    client.force_login(auditor)

    response = client.post(reverse("audit_sample_list"), {
        "source": "incidents", "start": today() - timedelta(days=1), "end": today(), "size": 25,
        "priorities": [1, 2]}, follow=True)

    sample = Sample.objects.get()
    assert [item.object_id for item in sample.items.all()] == [high.pk]
    assert Incident.objects.get(pk=high.pk).priority in (1, 2)
    assert str(sample.seed) in response.content.decode()
    assert AuditEntry.objects.get(action="sample_drawn").changes["seed"] == sample.seed


def test_a_sampled_record_page_shows_its_timeline_history_and_is_on_the_access_log(client, auditor, agent):
    incident = make_incident(agent, short_description="Payroll export fails")
    sample = sampling.sample_draw(actor=auditor, source_key="incidents", period_start=timezone.now() - timedelta(1),
                                  period_end=timezone.now() + timedelta(1), size=1, seed=1)
    client.force_login(auditor)

    html = client.get(reverse("audit_sample_item", args=[sample.items.get().pk])).content.decode()

    assert "Payroll export fails" in html and incident.number in html
    assert "Timeline" in html and "History" in html and "SLA timers" in html
    viewed = AuditEntry.objects.get(action="record_viewed")
    assert (viewed.username, viewed.label, viewed.object_id) == ("auditor", incident.number, incident.pk)


def test_agents_cannot_draw_samples(agent):
    with pytest.raises(Exception) as refused:
        sampling.sample_draw(actor=agent, source_key="incidents", period_start=timezone.now() - timedelta(1),
                             period_end=timezone.now(), size=1)
    assert type(refused.value).__name__ == "NotPermitted"
    assert not Sample.objects.exists()


def test_an_administrator_grants_an_auditor_from_the_page(client, admin_user):
    client.force_login(admin_user)

    client.post(reverse("audit_auditor_list"), {"username": "kpmg.auditor", "password": "Certif1cation-Body!",
                                                "expires_on": today() + timedelta(days=14)})
    page = client.get(reverse("audit_auditor_list")).content.decode()

    assert "kpmg.auditor" in page
