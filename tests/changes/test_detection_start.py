"""Unauthorised-change detection starts at installation, or again from now on demand."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from changes.models import UnauthorisedChange
from changes.services.unauthorised import unauthorised_detect
from config_items.services import ci_update
from tests.changes.factories_cmdb import live_ci
from tests.config_items.factories import cmdb_writer

pytestmark = pytest.mark.django_db




def test_history_before_the_baseline_is_not_read_and_after_it_is():
    ci = live_ci()
    ci_update(actor=cmdb_writer(), ci=ci, data={"description": "before"}, reason="updated")

    call_command("unauthorised_baseline", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert unauthorised_detect(settle=timedelta(0)) == 0

    ci_update(actor=cmdb_writer(), ci=ci, data={"description": "after"}, reason="updated")
    assert unauthorised_detect(settle=timedelta(0)) == 1
    assert UnauthorisedChange.objects.get().fields["description"] == ["before", "after"]
