"""The unauthorised-changes report and API, the proposed-CI-changes card, page and API, and the
exempt sources: what people see and may do."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from changes.choices import ExceptionState
from changes.models import ExemptSource, ProposedCIChange, UnauthorisedChange
from changes.services.proposals import proposal_add
from changes.views.cmdb import proposals_panel
from tests.changes.factories import make_change
from tests.changes.factories_cmdb import live_ci

pytestmark = pytest.mark.django_db


def exception(ci, n=1, **data):
    now = timezone.now()
    return UnauthorisedChange.objects.create(ci=ci, history_id=n, changed_at=now, detected_at=now,
                                             fields={"description": ["", f"by hand {n}"]}, **data)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_report_shows_open_exceptions_and_exports_them(client, auditor, django_assert_max_num_queries):
    relay = live_ci()
    for n in range(1, 6):
        exception(relay, n)
    exception(relay, 9, state=ExceptionState.ACCEPTED, reason="fine", resolved_at=timezone.now())
    client.force_login(auditor)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("change_unauthorised_list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count("data-exception=") == 5 and "by hand 3" in text
    every = client.get(reverse("change_unauthorised_list") + "?state=open&state=accepted")
    assert every.content.decode().count("data-exception=") == 6
    export = client.get(reverse("change_unauthorised_list") + "?export=csv")
    assert b"by hand 5" in b"".join(export.streaming_content)


def test_a_manager_resolves_on_the_page(client, agent, change_manager):
    relay = live_ci()
    found = exception(relay)
    change = make_change(agent, cis=[relay])
    client.force_login(change_manager)
    refused = client.post(reverse("change_unauthorised_resolve", args=[found.pk]), {"change": "", "reason": ""})
    assert refused.status_code == 400 and "Say why" in refused.content.decode()
    done = client.post(reverse("change_unauthorised_resolve", args=[found.pk]), {"change": change.number.lower()})
    assert done.status_code == 302
    found.refresh_from_db()
    assert found.state == ExceptionState.LINKED and found.change == change


def test_the_api_lists_filters_and_resolves(agent, change_manager):
    relay, other = live_ci(), live_ci(name="other")
    exception(relay, 1)
    found = exception(other, 2)
    listed = api(agent).get(reverse("api:changes:unauthorised-change-list"), {"ci": other.pk}).json()
    assert [row["id"] for row in listed["results"]] == [found.pk]
    assert listed["results"][0]["fields"] == {"description": ["", "by hand 2"]}
    url = reverse("api:changes:unauthorised-change-resolve", kwargs={"pk": found.pk})
    assert api(agent).post(url, {"reason": "ok"}, format="json").status_code == 403
    refused = api(change_manager).post(url, {}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()["error"]["fields"]
    accepted = api(change_manager).post(url, {"reason": "Typo fixed."}, format="json")
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"


def test_administrators_keep_the_exempt_sources(make_user, agent):
    admin = make_user("administrator", username="admin")
    created = api(admin).post(reverse("api:changes:exempt-source-list"),
                              {"source": "vmware", "reason": "Discovery."}, format="json")
    assert created.status_code == 201
    assert api(agent).post(reverse("api:changes:exempt-source-list"),
                           {"source": "x", "reason": "y"}, format="json").status_code == 403
    detail = reverse("api:changes:exempt-source-detail", kwargs={"pk": created.json()["id"]})
    assert api(admin).patch(detail, {"reason": "Records what is."}, format="json").json()["reason"] == \
        "Records what is."
    assert api(admin).post(reverse("api:changes:exempt-source-list"),
                           {"source": "vmware", "reason": "again"}, format="json").status_code == 400
    assert api(admin).delete(detail).status_code == 204
    assert not ExemptSource.objects.exists()


def test_the_card_shows_the_diff_and_the_forms_to_workers(agent, auditor):
    relay = live_ci(attributes={"hostname": "relay01", "os": "Debian 11"})
    change = make_change(agent, cis=[relay])
    proposal_add(actor=agent, change=change, data={"kind": "attribute", "ci": relay, "field": "attributes.os",
                                                   "after": "Debian 12"})
    request = RequestFactory().get(f"/changes/{change.pk}/")
    request.user = agent
    panel = proposals_panel(change, request)
    html = render_to_string("changes/cmdb/proposals_panel.html", {"panel": panel, "change": change},
                            request=request)
    assert "Operating system" in html and "Debian 11" in html and "Debian 12" in html
    assert 'id="propose-attribute-form"' in html and "Withdraw" in html
    request.user = auditor
    html = render_to_string("changes/cmdb/proposals_panel.html",
                            {"panel": proposals_panel(change, request), "change": change}, request=request)
    assert "Debian 12" in html and "propose-attribute-form" not in html


def test_proposing_on_the_page(client, agent):
    relay = live_ci(attributes={"hostname": "relay01"})
    change = make_change(agent, cis=[relay])
    client.force_login(agent)
    url = reverse("change_proposal_add", args=[change.pk])
    refused = client.post(url, {"kind": "attribute", "ci": relay.pk, "field": "attributes.cpu_count",
                                "after": "many"})
    assert refused.status_code == 400 and "whole number" in refused.content.decode()
    done = client.post(url, {"kind": "attribute", "ci": relay.pk, "field": "attributes.cpu_count", "after": "8",
                             "next": reverse("change_proposals", args=[change.pk])})
    assert done.status_code == 302 and done["Location"].endswith("#proposed-ci-changes")
    proposal = ProposedCIChange.objects.get()
    assert proposal.after == 8
    page = client.get(reverse("change_proposals", args=[change.pk]))
    assert "CPUs" in page.content.decode()
    gone = client.post(reverse("change_proposal_remove", args=[proposal.pk]))
    assert gone.status_code == 302 and not ProposedCIChange.objects.exists()


def test_proposing_through_the_api(agent, auditor):
    relay = live_ci()
    change = make_change(agent, cis=[relay])
    url = reverse("api:changes:proposed-ci-change-list")
    body = {"change": change.pk, "kind": "attribute", "ci": relay.pk, "field": "environment", "after": "moon"}
    refused = api(agent).post(url, body, format="json")
    assert refused.status_code == 400 and "after" in refused.json()["error"]["fields"]
    created = api(agent).post(url, {**body, "after": "staging"}, format="json", HTTP_IDEMPOTENCY_KEY="p1")
    again = api(agent).post(url, {**body, "after": "staging"}, format="json", HTTP_IDEMPOTENCY_KEY="p1")
    assert created.status_code == 201 and again.content == created.content
    assert ProposedCIChange.objects.count() == 1
    listed = api(auditor).get(url, {"change": change.pk}).json()
    assert listed["results"][0]["before"] == "production" and listed["results"][0]["after"] == "staging"
    assert api(auditor).post(url, body, format="json").status_code == 403
