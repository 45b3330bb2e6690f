"""The client's address behind the proxy (issue 16, defect 1): one rule, `itsm.client_address`,
for the login lock-out (django-axes), the API's rate limits and the access log. Through the
real middleware stack: Django's test client sets REMOTE_ADDR (the proxy) and X-Forwarded-For.
"""

import pytest
from axes.helpers import get_client_ip_address
from django.conf import settings as django_settings
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.module_loading import import_string

from itsm.client_address import address_from, client_address
from tests.conftest import PASSWORD

LOGIN = reverse("login")
PROXY = "10.0.0.2"  # the TLS proxy: REMOTE_ADDR of every request that passed through it


def sign_in(username, password, forwarded, client=None):
    """A sign-in through the proxy, which appended the address it saw to X-Forwarded-For."""
    return (client or Client()).post(LOGIN, {"username": username, "password": password},
                                     REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


@pytest.mark.django_db
def test_failed_sign_ins_from_one_address_do_not_lock_out_people_from_another(settings, agent):
    settings.PROXY_COUNT = 1
    for n in range(settings.AXES_FAILURE_LIMIT + 1):
        sign_in(f"made-up-{n}", "wrong", "203.0.113.9")

    attacker = sign_in("agent", PASSWORD, "203.0.113.9")
    colleague = sign_in("agent", PASSWORD, "198.51.100.7")

    assert attacker.status_code == 429  # the attacker's address is locked
    assert colleague.status_code == 302  # everyone else still signs in


@pytest.mark.django_db
def test_a_forged_forwarded_address_does_not_evade_the_lock_out(settings, agent):
    settings.PROXY_COUNT = 1
    # the attacker sends a new made-up X-Forwarded-For each time; the proxy appends the real one
    for n in range(settings.AXES_FAILURE_LIMIT + 1):
        sign_in(f"made-up-{n}", "wrong", f"192.0.2.{n}, 203.0.113.9")

    assert sign_in("agent", PASSWORD, "192.0.2.200, 203.0.113.9").status_code == 429


@pytest.mark.django_db
def test_without_a_proxy_the_forwarded_header_is_ignored(settings, agent):
    settings.PROXY_COUNT = 0
    for n in range(settings.AXES_FAILURE_LIMIT + 1):
        Client().post(LOGIN, {"username": f"made-up-{n}", "password": "wrong"},
                      REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    locked = Client().post(LOGIN, {"username": "agent", "password": PASSWORD},
                           REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="192.0.2.250")

    assert locked.status_code == 429


@pytest.mark.parametrize(("proxies", "remote", "forwarded", "client"), [
    (0, "203.0.113.9", "192.0.2.1", "203.0.113.9"),            # no proxy: the header is the client's
    (1, PROXY, "203.0.113.9", "203.0.113.9"),                  # the address the proxy appended
    (1, PROXY, "192.0.2.1, 203.0.113.9", "203.0.113.9"),       # the client's own value is ignored
    (2, PROXY, "192.0.2.1, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
    (2, PROXY, "203.0.113.9", PROXY),                          # fewer hops than proxies: REMOTE_ADDR
    (1, PROXY, "", PROXY),                                     # no header
    (1, PROXY, "192.0.2.1, not-an-address", PROXY),
    (1, PROXY, "203.0.113.9:51234", "203.0.113.9"),            # a port some proxies add
    (1, PROXY, "[2001:db8::1]:443", "2001:db8::1"),
    (1, PROXY, "2001:DB8::1", "2001:db8::1"),
])
def test_the_client_is_the_address_the_first_trusted_proxy_saw(proxies, remote, forwarded, client):
    assert address_from({"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": forwarded}, proxies) == client


def test_axes_the_api_throttles_and_the_access_log_use_the_one_rule(settings):
    """The class of the defect: a component reading the address its own way (axes without
    ipware used REMOTE_ADDR; DRF trusts the whole header)."""
    settings.PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.9")

    assert client_address(request) == "203.0.113.9"
    assert get_client_ip_address(request) == "203.0.113.9"
    for path in django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]:
        assert import_string(path)().get_ident(request) == "203.0.113.9", path

    from itsm.gunicorn_logging import AccessLogger

    assert AccessLogger.client(dict(request.META), proxy_count=1) == "203.0.113.9"
