"""The one gate per SLA entity: staff read agreements and targets, others get 404."""

from datetime import timedelta

import pytest
from django.http import Http404

from slas import selectors, services


@pytest.fixture
def target(make_target):
    return make_target()


def test_staff_read_an_agreement_and_a_target_through_their_gates(auditor, target):
    assert selectors.agreement_get_for_user(auditor, target.agreement_id) == target.agreement
    assert selectors.target_get_for_user(auditor, target.pk) == target


@pytest.mark.parametrize("pk", ["own", "missing", "nonsense"])
def test_a_requester_gets_404_for_an_agreement_or_target_whether_it_exists_or_not(requester, target, pk):
    agreement_pk, target_pk = {"own": (target.agreement_id, target.pk), "missing": (0, 0),
                               "nonsense": ("x", "x")}[pk]

    with pytest.raises(Http404):
        selectors.agreement_get_for_user(requester, agreement_pk)
    with pytest.raises(Http404):
        selectors.target_get_for_user(requester, target_pk)


def test_the_current_version_of_a_targets_lineage(admin_user, auditor, target):
    following = services.target_update(actor=admin_user, target=target, data={"goal": timedelta(hours=2)})

    assert selectors.target_get_for_user(auditor, target.pk, current=True) == following
    assert selectors.target_get_for_user(auditor, target.pk) == target
