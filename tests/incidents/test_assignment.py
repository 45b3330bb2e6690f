"""Assignment rules: an incident logged without a group gets the group of the most specific
active rule (incidents.assignment), from every way an incident is logged."""

import pytest
from django.core.exceptions import ValidationError

from incidents import services
from incidents.assignment import default_group_for
from incidents.models import AssignmentRule, Incident
from itsm.exceptions import NotPermitted
from itsm.models import JournalEntry
from itsm.records import StaleRecord
from tests.config_items.factories import make_ci, make_service
from tests.factories import TeamFactory
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(admin_user):
    """Two services, a category with a subcategory, and a team per rule."""
    hardware = services.category_create(actor=admin_user, name="Hardware kit")
    return {
        "mail": make_service(name="Mail", catalogue_status="live"),  # requesters report on it
        "print": make_service(name="Print"),
        "hardware": hardware,
        "laptop": services.category_create(actor=admin_user, name="Laptop", parent=hardware),
        "desk": TeamFactory(name="Service desk"), "mail_team": TeamFactory(name="Mail team"),
        "hw_team": TeamFactory(name="Hardware"), "laptops": TeamFactory(name="Laptops"),
        "mail_laptops": TeamFactory(name="Mail on laptops"),
    }


def rule(admin_user, name, group, **data):
    return services.assignment_rule_create(actor=admin_user, data={"name": name, "assignment_group": group, **data})


def test_the_most_specific_active_rule_wins(admin_user, setup, django_assert_num_queries):
    s = setup
    rule(admin_user, "Catch-all", s["desk"])
    rule(admin_user, "Mail", s["mail_team"], service=s["mail"])
    rule(admin_user, "Hardware", s["hw_team"], category=s["hardware"])
    rule(admin_user, "Laptops", s["laptops"], category=s["laptop"])
    rule(admin_user, "Mail on laptops", s["mail_laptops"], service=s["mail"], category=s["laptop"])

    with django_assert_num_queries(1):
        assert default_group_for(s["mail"], s["hardware"], s["laptop"]) == s["mail_laptops"]
    assert default_group_for(s["mail"], s["hardware"], None) == s["mail_team"]  # service beats category
    assert default_group_for(s["print"], s["hardware"], s["laptop"]) == s["laptops"]  # subcategory beats category
    assert default_group_for(s["print"], s["hardware"], None) == s["hw_team"]
    assert default_group_for(s["print"], None, None) == s["desk"]
    assert default_group_for(None, None, None) == s["desk"]


def test_order_breaks_ties_and_inactive_rules_or_groups_do_not_count(admin_user, setup):
    s = setup
    second = rule(admin_user, "Mail B", s["mail_team"], service=s["mail"], order=20)
    first = rule(admin_user, "Mail A", s["desk"], service=s["mail"], order=10)
    assert default_group_for(s["mail"]) == s["desk"]

    services.assignment_rule_update(actor=admin_user, rule=first, data={"is_active": False})
    assert default_group_for(s["mail"]) == s["mail_team"]

    s["mail_team"].is_active = False
    s["mail_team"].save()
    assert default_group_for(s["mail"]) is None
    assert second.pk


def test_no_rule_no_group(setup):
    assert default_group_for(setup["mail"], setup["hardware"], setup["laptop"]) is None


def test_a_portal_report_without_a_rule_waits_for_triage_and_with_one_is_assigned(admin_user, requester, setup):
    untouched = services.incident_create(actor=requester, data={"short_description": "Mail is slow",
                                                                "service": setup["mail"]})
    assert untouched.assignment_group is None

    rule(admin_user, "Mail", setup["mail_team"], service=setup["mail"])
    routed = services.incident_create(actor=requester, data={"short_description": "Mail is down",
                                                             "service": setup["mail"]})

    routed.refresh_from_db()
    assert routed.assignment_group == setup["mail_team"]
    assert JournalEntry.objects.filter(object_id=routed.pk, kind="assignment").count() == 1


def test_a_group_given_is_kept_and_monitoring_alerts_follow_the_rules(admin_user, agent, setup):
    rule(admin_user, "Catch-all", setup["desk"])
    given = make_incident(agent, assignment_group=setup["hw_team"])
    assert given.assignment_group == setup["hw_team"]

    outcome = services.incident_report_alert(actor=agent, correlation_key="disk-full",
                                             data={"short_description": "Disk full", "contact_name": "nagios"})
    assert Incident.objects.get(pk=outcome.incident.pk).assignment_group == setup["desk"]


def test_only_administrators_write_rules_and_a_refusal_writes_nothing(agent, admin_user, setup):
    with pytest.raises(NotPermitted):
        rule(agent, "Mail", setup["mail_team"], service=setup["mail"])
    with pytest.raises(ValidationError) as refused:
        rule(admin_user, "", setup["mail_team"], service=setup["mail"])
    assert "name" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        rule(admin_user, "An application", setup["mail_team"], service=make_ci(name="Payroll app"))
    assert "service" in refused.value.message_dict
    setup["mail_team"].is_active = False
    setup["mail_team"].save()
    with pytest.raises(ValidationError) as refused:
        rule(admin_user, "Mail", setup["mail_team"])
    assert "assignment_group" in refused.value.message_dict
    assert not AssignmentRule.objects.exists()


def test_an_update_keeps_history_and_refuses_a_stale_version(admin_user, setup):
    mail = rule(admin_user, "Mail", setup["mail_team"], service=setup["mail"])

    services.assignment_rule_update(actor=admin_user, rule=mail, data={"order": 5}, expected_version=1)

    mail.refresh_from_db()
    assert (mail.order, mail.version) == (5, 2)
    assert mail.history.count() == 2
    with pytest.raises(StaleRecord):
        services.assignment_rule_update(actor=admin_user, rule=mail, data={"order": 6}, expected_version=1)
    with pytest.raises(ValidationError):
        services.assignment_rule_update(actor=admin_user, rule=mail, data={"colour": "red"})
