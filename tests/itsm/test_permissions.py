"""itsm.permissions.require: the one check every service makes before it writes."""

import pytest
from django.test import RequestFactory

from itsm import services
from itsm.api.authentication import TokenAuthentication
from itsm.choices import Role
from itsm.exceptions import NotPermitted
from itsm.models import Customer
from itsm.permissions import ADMIN_ROLES, STAFF_ROLES, is_read_only, require


def test_require_lets_a_holder_of_the_role_through(admin_user):
    require(admin_user, ADMIN_ROLES)


def test_require_refuses_someone_without_the_role(agent):
    with pytest.raises(NotPermitted):
        require(agent, ADMIN_ROLES)


def test_an_auditor_who_is_also_an_administrator_writes_nothing(make_user):
    both = make_user(Role.ADMINISTRATOR, Role.AUDITOR, username="both")

    with pytest.raises(NotPermitted):
        services.customer_create(actor=both, data={"code": "acme", "name": "ACME"})

    assert not Customer.objects.exists()


def test_a_read_is_put_on_record_by_an_auditor(auditor):
    require(auditor, STAFF_ROLES, reading=True)
    with pytest.raises(NotPermitted):
        require(auditor, STAFF_ROLES)


def _authenticated_user(admin_user, *, read_only: bool):
    _token, secret = services.token_create(actor=admin_user, user=admin_user, name="ci", days=1,
                                           read_only=read_only)
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    user, _auth = TokenAuthentication().authenticate(request)
    return user


def test_a_service_called_with_the_user_of_a_read_only_token_refuses(admin_user):
    user = _authenticated_user(admin_user, read_only=True)

    assert is_read_only(user)
    with pytest.raises(NotPermitted):
        services.customer_create(actor=user, data={"code": "acme", "name": "ACME"})
    assert not Customer.objects.exists()


def test_a_read_write_token_acts_with_its_users_roles(admin_user):
    user = _authenticated_user(admin_user, read_only=False)

    assert not is_read_only(user)
    assert services.customer_create(actor=user, data={"code": "acme", "name": "ACME"}).code == "acme"


def test_the_read_only_mark_stays_on_the_request_it_came_with(admin_user):
    assert is_read_only(_authenticated_user(admin_user, read_only=True))

    assert not is_read_only(_authenticated_user(admin_user, read_only=False))
