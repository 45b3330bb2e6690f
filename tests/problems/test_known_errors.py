"""The known-error database: its entries, counts, stale flag, search, and the suggestions offered
for an incident (best match first, through the CMDB graph, at a constant query cost)."""

from datetime import timedelta

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from incidents.models import Category
from problems import services
from problems.known_errors import (
    DEPENDENCY,
    DIRECT_CI,
    SERVICE,
    KnownErrorFilterSet,
    known_error_list,
    known_error_suggestions,
    with_counts,
)
from tests.config_items.factories import link, make_ci, make_service
from tests.incidents.factories import make_incident
from tests.problems.factories import make_problem, move, publish

pytestmark = pytest.mark.django_db


def known_error(agent, manager, workaround="Restart the relay.", **data):
    return publish(manager, make_problem(agent, **data), workaround=workaround)


def suggested(user, **kwargs):
    return [(s.problem.number, s.match) for s in known_error_suggestions(user, **kwargs)]


def test_known_errors_are_published_problems_and_resolved_ones_with_a_workaround(agent, problem_manager):
    published = known_error(agent, problem_manager)
    resolved = move(problem_manager, known_error(agent, problem_manager), "resolve",
                    resolution_code="fixed", resolution_notes="Patched.")
    without_workaround = move(problem_manager, make_problem(agent), "resolve",
                              resolution_code="fixed", resolution_notes="Patched.")
    make_problem(agent)  # still new

    assert set(known_error_list(agent)) == {published, resolved}
    assert without_workaround not in known_error_list(agent)


def test_requesters_see_no_known_errors_and_auditors_see_them_all(agent, problem_manager, requester, auditor):
    entry = known_error(agent, problem_manager, service=make_service())

    assert list(known_error_list(requester)) == []
    assert known_error_suggestions(requester, service_id=entry.service_id) == []
    assert list(known_error_list(auditor)) == [entry]


def test_a_known_error_without_a_fix_past_the_configured_age_is_stale(agent, problem_manager):
    entry = known_error(agent, problem_manager)
    later = timezone.now() + timedelta(days=11)

    with override_settings(KNOWN_ERROR_STALE_DAYS=10):
        assert known_error_list(agent, now=later).get().is_stale is True
        assert known_error_list(agent).get().is_stale is False
        services.problem_update(actor=agent, problem=entry, data={"fix": "CHG0001001 replaces the relay."})
        assert known_error_list(agent, now=later).get().is_stale is False


@override_settings(KNOWN_ERROR_STALE_DAYS=0)
def test_the_stale_filter_and_the_search(agent, problem_manager):
    stale = publish(problem_manager, make_problem(agent, short_description="Relay leaks"),
                    workaround="Restart the relay.", root_cause="Socket pool never shrinks.")
    fixed = publish(problem_manager, make_problem(agent, short_description="Disk fills"),
                    workaround="Purge /tmp nightly.", root_cause="Log rotation off.")
    services.problem_update(actor=agent, problem=fixed, data={"fix": "Bigger disk."})

    def found(**query):
        return list(KnownErrorFilterSet(query, queryset=known_error_list(agent)).qs)

    assert found(stale="true") == [stale]
    assert found(stale="false") == [fixed]
    assert found(q="purge") == [fixed]  # workaround
    assert found(q="RELAY LEAKS") == [stale]  # short description
    assert found(q="rotation") == [fixed]  # root cause
    assert found(q=fixed.number.lower()) == [fixed]


def test_counts_say_how_often_a_workaround_was_applied_and_how_many_incidents_it_spared(agent, problem_manager):
    entry = known_error(agent, problem_manager)
    first, second = make_incident(agent), make_incident(agent)
    services.known_error_apply(actor=agent, problem=entry, incident=first)
    services.known_error_apply(actor=agent, problem=entry, incident=second, public=False)

    (row,) = with_counts(known_error_list(agent))
    assert (row.applied, row.spared) == (2, 2)


def test_suggestions_rank_the_same_ci_before_the_service_before_a_dependency(agent, problem_manager):
    service, app, database = make_service(), make_ci(name="Mail app"), make_ci(name="Mail DB")
    link(app, database)  # the app depends on the database
    on_database = known_error(agent, problem_manager, cis=[database])
    on_service = known_error(agent, problem_manager, service=service)
    on_app = known_error(agent, problem_manager, cis=[app])
    known_error(agent, problem_manager, cis=[make_ci()])  # unrelated

    assert suggested(agent, service_id=service.pk, ci_ids=[app.pk]) == [
        (on_app.number, DIRECT_CI), (on_service.number, SERVICE), (on_database.number, DEPENDENCY)]


def test_a_known_error_on_what_the_incidents_ci_depends_on_is_suggested_through_the_cmdb(agent, problem_manager):
    app, server, storage, beyond = (make_ci(name=n) for n in ("App", "Server", "Storage", "Beyond"))
    link(app, server)
    link(server, storage)
    link(storage, beyond)  # three steps away: too far
    on_storage = known_error(agent, problem_manager, cis=[storage])
    known_error(agent, problem_manager, cis=[beyond])
    depends_on_app = make_ci()
    link(depends_on_app, app)  # depends on the incident's CI, not the other way round
    known_error(agent, problem_manager, cis=[depends_on_app])

    suggestions = known_error_suggestions(agent, ci_ids=[app.pk])

    assert [(s.problem, s.match, s.via) for s in suggestions] == [(on_storage, DEPENDENCY, "Storage")]


def test_among_equal_matches_the_most_used_comes_first(agent, problem_manager):
    ci = make_ci()
    rarely = known_error(agent, problem_manager, cis=[ci])
    often = known_error(agent, problem_manager, cis=[ci])
    services.known_error_apply(actor=agent, problem=often, incident=make_incident(agent))

    assert [s.problem for s in known_error_suggestions(agent, ci_ids=[ci.pk])] == [often, rarely]


def test_suggestions_need_a_service_or_a_ci(agent, problem_manager):
    known_error(agent, problem_manager, cis=[make_ci()])

    assert known_error_suggestions(agent) == []


def test_suggestions_cost_the_same_queries_for_one_ci_or_many(agent, problem_manager,
                                                               django_assert_max_num_queries):
    category = Category.objects.create(name="Mail")
    service = make_service()
    one = make_ci()
    known_error(agent, problem_manager, cis=[one], service=service, category=category)
    with django_assert_max_num_queries(4):
        assert len(known_error_suggestions(agent, service_id=service.pk, ci_ids=[one.pk])) == 1

    many = [make_ci() for _ in range(8)]
    for ci in many[:4]:
        dependency = make_ci()
        link(ci, dependency)
        known_error(agent, problem_manager, cis=[ci, dependency], service=service)
        known_error(agent, problem_manager, cis=[dependency])
    with django_assert_max_num_queries(4):
        found = known_error_suggestions(agent, service_id=service.pk, ci_ids=[one.pk, *(c.pk for c in many)],
                                        limit=20)
    assert len(found) == 9
