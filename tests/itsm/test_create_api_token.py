"""manage.py create_api_token: prints the secret once; bad input is one line and exit status 1."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from itsm.choices import Role
from itsm.models import ApiToken
from tests.assertions import assert_nothing_written

pytestmark = pytest.mark.django_db


def create(*args) -> str:
    out = StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_the_printed_secret_authenticates_as_the_user(agent, settings):
    secret = create("agent", "--name", "monitoring")

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/me/").json()["username"] == "agent"
    token = ApiToken.objects.get(user=agent)
    assert token.name == "monitoring" and not token.read_only
    expected = timezone.now() + timedelta(days=settings.API_TOKEN_DEFAULT_DAYS)
    assert abs(token.expires_at - expected) < timedelta(minutes=1)


def test_the_secret_is_stored_only_as_a_digest(agent):
    secret = create("agent", "--name", "ci")

    token = ApiToken.objects.get(user=agent)
    assert secret not in (token.key_digest, token.key_prefix)
    assert not ApiToken.objects.filter(key_digest__contains=secret).exists()


def test_days_and_read_only(agent):
    create("agent", "--name", "reports", "--days", "7", "--read-only")

    token = ApiToken.objects.get(user=agent)
    assert token.read_only
    assert abs(token.expires_at - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)


def test_only_an_administrator_may_create_a_token_without_expiry(agent, admin_user):
    with assert_nothing_written(), pytest.raises(CommandError, match="Only administrators"):
        create("agent", "--name", "forever", "--no-expiry")

    create("agent", "--name", "forever", "--no-expiry", "--as", "admin")

    assert ApiToken.objects.get(user__username="agent").expires_at is None


def test_a_user_cannot_create_a_token_for_someone_else(agent, make_user):
    make_user(Role.AGENT, username="other")

    with assert_nothing_written(), pytest.raises(CommandError, match="permission"):
        create("other", "--name", "x", "--as", "agent")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody", "--name", "x"], "no user named 'nobody'"),
        (["agent", "--name", "x", "--as", "nobody"], "no user named 'nobody'"),
        (["agent", "--name", "  "], "Give the token a name"),
        (["agent", "--name", "x", "--days", "0"], "between 1 and 3650 days"),
        (["agent", "--name", "x", "--days", "3651"], "between 1 and 3650 days"),
        (["agent", "--name", "x", "--days", "5", "--no-expiry"], "not allowed with argument"),
        (["agent"], "--name"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(agent, args, message):
    with assert_nothing_written(), pytest.raises(CommandError, match=message):
        create(*args)


def test_an_inactive_user_gets_no_token(make_user):
    make_user(Role.AGENT, username="gone", is_active=False)

    with pytest.raises(CommandError, match="inactive"):
        create("gone", "--name", "x")


def test_from_the_command_line_an_error_is_one_line_and_exit_status_1(capsys):
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "create_api_token", "nobody", "--name", "x"]).execute()

    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().splitlines() == ["CommandError: no user named 'nobody'"]
