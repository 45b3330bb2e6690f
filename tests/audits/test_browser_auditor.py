"""The auditor's main flow in real headless Chromium: from the menu to the audit trail, filtered
to one record; the chain verified intact; a sample of high-priority incidents drawn with a seed
and one sampled record's printable page; an evidence bundle asked for, followed until ready,
downloaded, and verified offline with scripts/verify_evidence.py against the key the page
shows. And nowhere a write: an incident's page offers the auditor no action."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from audits import bundles, sampling
from audits.evidence.offline import verify
from audits.models import AuditEntry, EvidenceBundle
from incidents.models import Incident
from itsm.choices import Role
from tests.fixtures_browser import submit_and_wait
from tests.incidents.factories import make_incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _open(page, item):
    """Open an item of the Audit group of the main menu, as a person would."""
    menu = page.get_by_role("navigation", name="Main menu")
    menu.get_by_role("button", name="Audit").click()
    with page.expect_navigation():
        menu.get_by_role("link", name=item).click()


def test_an_auditor_samples_verifies_and_exports_evidence_without_any_write(page, sign_in, make_user, tmp_path):
    auditor = make_user(Role.AUDITOR, username="auditor")
    agent = make_user(Role.AGENT, username="agent")
    high = [make_incident(agent, short_description=f"Checkout fails {n}", impact=1, urgency=n % 2 + 1)
            for n in range(5)]
    low = make_incident(agent, short_description="Printer toner low", impact=3, urgency=3)
    today = timezone.localdate()
    sign_in(page, auditor)

    # The trail, filtered to one record: only its entries.
    _open(page, "Audit trail")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    page.get_by_label("Record number").fill(low.number)
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#list-results tbody tr")
    expect(rows).to_have_count(AuditEntry.objects.filter(label=low.number).count())
    for row in rows.all():
        expect(row).to_contain_text(low.number)
    expect(page.locator("#list-results")).not_to_contain_text(high[0].number)

    # The chain verifies intact.
    _open(page, "Trail verification")
    submit_and_wait(page, page.get_by_role("button", name="Verify now"))
    expect(page.locator("#verification-outcome")).to_contain_text("Intact")

    # A sample of 3 incidents of priority 1–2, by a seed: the seed's draw, and a record's page.
    _open(page, "Samples")
    page.get_by_label("Record type").select_option(label="Incidents")
    page.get_by_label("From").fill((today - timedelta(days=7)).isoformat())
    page.get_by_label("Until (included)").fill(today.isoformat())
    page.get_by_label("P1 - Critical").check()
    page.get_by_label("P2 - High").check()
    page.get_by_label("Sample size").fill("3")
    page.get_by_label("Seed").fill("4242")
    submit_and_wait(page, page.get_by_role("button", name="Draw"))
    expect(page.locator("#sample-seed")).to_have_text("4242")
    drawn = sampling.draw(sorted(incident.pk for incident in high), 3, 4242)
    numbers = [Incident.objects.get(pk=pk).number for pk in drawn]
    expect(page.locator("main table tbody a")).to_have_text(numbers)
    submit_and_wait(page, page.get_by_role("link", name=numbers[0]))
    expect(page.get_by_role("heading", level=1)).to_have_text(numbers[0])
    for section in ("Timeline", "History", "SLA timers"):
        expect(page.get_by_role("heading", name=section, exact=True)).to_be_visible()

    # An evidence bundle of the last week: queued, built, ready, downloaded, verified offline.
    _open(page, "Evidence bundles")
    public_key = page.locator("#evidence-public-key").inner_text()
    page.get_by_label("From").fill((today - timedelta(days=6)).isoformat())
    page.get_by_label("Until (included)").fill(today.isoformat())
    submit_and_wait(page, page.get_by_role("button", name="Build the bundle"))
    bundle = EvidenceBundle.objects.get()
    row = page.locator(f"#bundle-{bundle.pk}")
    expect(row.locator("progress")).to_be_visible()
    bundles.bundle_build(bundle.pk)  # what the worker does once the outbox delivers it
    expect(row).to_contain_text("Ready")  # the row polls its progress every 2 s
    with page.expect_download() as download:
        row.get_by_role("link", name="Download").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    problems, summary = verify(path, public_key)
    assert problems == [] and summary["trail_entries"] > 0
    assert AuditEntry.objects.filter(action="evidence_downloaded", username="auditor").count() == 1

    # Read everything, change nothing: an incident's page has no action, form or edit link.
    page.goto(f"/incidents/{high[0].pk}/")
    expect(page.locator("#incident-title")).to_have_text(high[0].short_description)
    expect(page.locator("main form[method=post]")).to_have_count(0)
    expect(page.locator("#incident-actions, #incident-edit, [data-open-transition]")).to_have_count(0)
