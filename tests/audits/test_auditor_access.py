"""Time-boxed auditor access: an administrator grants an external auditor an account that is
refused after its last day, at sign-in, for an open session and for its API tokens."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audits.access import auditor_access_change, auditor_grant
from audits.models import AuditEntry
from itsm.exceptions import NotPermitted
from itsm.models import User
from itsm.services import token_create
from tests.assertions import assert_nothing_written

pytestmark = pytest.mark.django_db

PASSWORD = "Certif1cation-Body!"


def grant(admin_user, days=30, **kwargs):
    return auditor_grant(actor=admin_user, username=kwargs.pop("username", "ext.auditor"), email="a@cb.example",
                         password=PASSWORD, expires_on=timezone.localdate() + timedelta(days=days), **kwargs)


def sign_in(client) -> bool:
    response = client.post(reverse("login"), {"username": "ext.auditor", "password": PASSWORD})
    return response.wsgi_request.user.is_authenticated


def expire(user):
    User.objects.filter(pk=user.pk).update(access_expires_at=timezone.now() - timedelta(seconds=1))


def test_a_granted_auditor_signs_in_and_reads_the_audit_pages(client, admin_user):
    auditor = grant(admin_user)

    assert sign_in(client)
    assert client.get(reverse("audit_trail")).status_code == 200
    assert auditor.has_role("auditor")
    assert AuditEntry.objects.filter(action="auditor_access_granted", label="ext.auditor").exists()


def test_sign_in_is_refused_after_the_last_day(client, admin_user):
    expire(grant(admin_user))

    assert not sign_in(client)


def test_an_open_session_ends_when_access_expires(client, admin_user):
    auditor = grant(admin_user)
    client.force_login(auditor)
    assert client.get(reverse("audit_trail")).status_code == 200

    expire(auditor)

    assert client.get(reverse("audit_trail")).status_code == 302


def test_api_tokens_are_refused_after_the_account_expires(admin_user, token_client):
    auditor = grant(admin_user)
    api = token_client(auditor, read_only=True)
    assert api.get("/api/v1/audits/trail/").status_code == 200

    expire(auditor)

    assert api.get("/api/v1/audits/trail/").status_code == 401


def test_a_token_never_outlives_the_account(admin_user):
    auditor = grant(admin_user, days=10)

    forever, _ = token_create(actor=admin_user, user=auditor, name="export", days=None, read_only=True)
    longer, _ = token_create(actor=auditor, user=auditor, name="mine", days=90, read_only=True)

    assert forever.expires_at == longer.expires_at == auditor.access_expires_at


def test_an_administrator_ends_access_at_once(client, admin_user):
    auditor = grant(admin_user)

    auditor_access_change(actor=admin_user, user=auditor, expires_on=None)

    assert not sign_in(client)


def test_only_administrators_grant_and_bad_input_writes_nothing(admin_user, team_lead, auditor):
    with assert_nothing_written(), pytest.raises(NotPermitted):
        grant(team_lead)
    with assert_nothing_written(), pytest.raises(NotPermitted):
        grant(auditor)
    with assert_nothing_written(), pytest.raises(ValidationError) as refused:
        grant(admin_user, days=-1)
    assert "expires_on" in refused.value.message_dict
    with assert_nothing_written(), pytest.raises(ValidationError) as refused:
        grant(admin_user, username="auditor")  # taken by the fixture
    assert "username" in refused.value.message_dict
