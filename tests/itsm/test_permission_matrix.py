"""Every URL of the product against a role × action table.

A view or endpoint without an entry in MATRIX fails `test_every_url_has_an_entry`: adding a
URL means deciding who may use it. For each entry and role, a safe request (GET) and an
unsafe one (POST, and PATCH on detail endpoints) are sent with an empty body; a denied role
must get exactly its refusal (`refusals`: 401 or 403, the sign-in page, 405 for a page without
the method) and write nothing; an allowed one exactly what its entry says (`get`, `post`,
`patch`: 200, 400 for the empty input, 405 for a method the view lacks, a redirect to a given
place, ...; see tests/incidents/matrix_entry.py).

The people, their sign-ins and tokens, and the records the URLs name are built once for the
module, in a transaction rolled back at its end; each case runs in a savepoint of it (the
`db` fixture), so what an allowed POST writes (a revoked token, a deleted relationship) is
gone before the next case.
"""

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from itsm import services
from itsm.choices import Role
from tests.assertions import assert_nothing_written
from tests.audits import matrix as audit_matrix
from tests.changes import (
    matrix_approvals,
    matrix_catalogue,
    matrix_cmdb,
    matrix_records,
    matrix_reports,
    matrix_schedule,
)
from tests.config_items.factories import link, make_ci
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from tests.incidents import matrix_agent, matrix_api, matrix_portal
from tests.incidents.factories import make_incident
from tests.incidents.matrix_entry import Entry, Redirect, by_role
from tests.kernel_app.factories import make_ticket
from tests.problems import matrix_api as problem_matrix_api
from tests.problems import matrix_known_errors as problem_matrix_known_errors
from tests.problems import matrix_pages as problem_matrix_pages
from tests.problems import matrix_reports as problem_matrix_reports
from tests.slas import matrix_api as sla_matrix_api
from tests.slas import matrix_dashboard as sla_matrix_dashboard
from tests.slas import matrix_settings as sla_matrix_settings

ROLES = ("anonymous", "requester", "agent", "team_lead", "problem_manager", "change_manager", "auditor",
         "administrator", "read_only_token")
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
# The problem manager is staff (reads what staff read) but works no incidents: in none of the sets below.
STAFF = frozenset({"agent", "team_lead", "problem_manager", "change_manager", "auditor", "administrator",
                   "read_only_token"})
WORKERS = frozenset({"agent", "team_lead", "administrator"})
ADMINS = frozenset({"administrator"})
CMDB_WRITERS = frozenset({"team_lead", "administrator"})
NOBODY = frozenset()
# Browser pages use sessions only: a bearer token there is as good as no credentials.
BROWSER_ROLES = EVERYONE - {"read_only_token"}
PEOPLE = BROWSER_ROLES - {"anonymous"}
WRITING_PEOPLE = PEOPLE - {"auditor"}
STAFF_PEOPLE = STAFF & PEOPLE
CMDB_WRITING_PEOPLE = frozenset({"team_lead", "administrator"})


MATRIX = {
    # kernel API
    "api:itsm:api-root": Entry(read=STAFF, write=NOBODY),
    "api:itsm:me": Entry(read=SIGNED_IN, write=NOBODY),
    # the header's search for scripts; without ?q= a 400 names the field
    "api:itsm:search": Entry(read=STAFF, write=NOBODY, get=400),
    "api:itsm:user-list": Entry(read=STAFF, write=NOBODY),
    "api:itsm:user-detail": Entry(read=STAFF, write=NOBODY, target="user"),
    "api:itsm:customer-list": Entry(read=STAFF, write=ADMINS, post=400),
    "api:itsm:customer-detail": Entry(read=STAFF, write=ADMINS, target="customer", post=405, patch=428),
    "api:itsm:team-list": Entry(read=STAFF, write=ADMINS, post=400),
    "api:itsm:team-detail": Entry(read=STAFF, write=ADMINS, target="team", post=405, patch=428),
    "api:itsm:token-list": Entry(read=SIGNED_IN, write=SIGNED_IN - {"auditor", "read_only_token"}, post=400),
    "api:itsm:token-revoke": Entry(read=SIGNED_IN, write=SIGNED_IN - {"auditor", "read_only_token"},
                                   target="token", get=405, post=200, patch=405),
    "api-schema": Entry(read=SIGNED_IN, write=NOBODY),
    "api-docs": Entry(read=SIGNED_IN, write=NOBODY),
    # test-only record API (proves the record mechanisms)
    "kernel_app:api-root": Entry(read=STAFF, write=NOBODY),
    "kernel_app:ticket-list": Entry(read=STAFF, write=WORKERS, post=400),
    "kernel_app:ticket-detail": Entry(read=STAFF, write=WORKERS, target="ticket", post=405, patch=428),
    "kernel_app:ticket-transitions": Entry(read=STAFF, write=WORKERS, target="ticket", post=405, patch=405),
    "kernel_app:ticket-transition": Entry(read=STAFF, write=WORKERS, target="ticket", get=405, post=400, patch=405),
    "kernel_app:ticket-journal": Entry(read=STAFF, write=WORKERS, target="ticket", post=405, patch=405),
    "kernel_app:ticket-comments": Entry(read=STAFF, write=WORKERS, target="ticket", get=405, post=400, patch=405),
    # CMDB API (config_items/api): staff read, team leads and administrators write the CMDB,
    # administrators the types
    "api:config_items:api-root": Entry(read=STAFF, write=NOBODY),
    "api:config_items:ci-type-list": Entry(read=STAFF, write=ADMINS, post=400),
    "api:config_items:ci-type-detail": Entry(read=STAFF, write=ADMINS, target="ci_type", post=405, patch=428),
    "api:config_items:relationship-type-list": Entry(read=STAFF, write=ADMINS, post=400),
    "api:config_items:relationship-type-detail": Entry(read=STAFF, write=ADMINS, target="relationship_type",
                                                       post=405, patch=200),
    "api:config_items:ci-list": Entry(read=STAFF, write=CMDB_WRITERS, post=400),
    "api:config_items:ci-detail": Entry(read=STAFF, write=CMDB_WRITERS, target="ci", post=405, patch=428),
    "api:config_items:ci-transitions": Entry(read=STAFF, write=CMDB_WRITERS, target="ci", post=405, patch=405),
    "api:config_items:ci-transition": Entry(read=STAFF, write=CMDB_WRITERS, target="ci", get=405, post=400, patch=405),
    "api:config_items:ci-journal": Entry(read=STAFF, write=CMDB_WRITERS, target="ci", post=405, patch=405),
    "api:config_items:ci-comments": Entry(read=STAFF, write=CMDB_WRITERS, target="ci", get=405, post=400, patch=405),
    "api:config_items:ci-impact": Entry(read=STAFF, write=CMDB_WRITERS, target="ci", post=405, patch=405),
    "api:config_items:ci-upsert": Entry(read=STAFF, write=CMDB_WRITERS, get=405, post=400),
    "api:config_items:ci-import": Entry(read=STAFF, write=CMDB_WRITERS, get=405, post=415),
    "api:config_items:ci-export": Entry(read=STAFF, write=CMDB_WRITERS, post=405),
    "api:config_items:relationship-list": Entry(read=STAFF, write=CMDB_WRITERS, post=400),
    "api:config_items:relationship-detail": Entry(read=STAFF, write=CMDB_WRITERS, target="relationship",
                                                  post=405, patch=405),
    "api:config_items:relationship-import": Entry(read=STAFF, write=CMDB_WRITERS, get=405, post=415),
    "api:config_items:relationship-export": Entry(read=STAFF, write=CMDB_WRITERS, post=405),
    "api:config_items:baseline-list": Entry(read=STAFF, write=CMDB_WRITERS, post=400),
    "api:config_items:baseline-detail": Entry(read=STAFF, write=CMDB_WRITERS, target="baseline", post=405, patch=405),
    "api:config_items:baseline-diff": Entry(read=STAFF, write=CMDB_WRITERS, target="baseline",
                                            get=400, post=405, patch=405),
    # operations
    # 503: no worker has reported a heartbeat in the tests (the page still answers everyone)
    "health": Entry(read=EVERYONE, write=NOBODY, browser=True, get=503),
    "favicon": Entry(read=EVERYONE, write=NOBODY, browser=True, get=Redirect("/static/img/favicon.svg")),
    # kernel browser pages (a view without the method answers 405, counted as refused)
    # A signed-in person who opens the sign-in page is sent home.
    "login": Entry(read=BROWSER_ROLES, write=BROWSER_ROLES, browser=True,
                   get=by_role(Redirect("/"), anonymous=200), post=by_role(Redirect("/"), anonymous=200)),
    "logout": Entry(read=NOBODY, write=PEOPLE, browser=True, post=Redirect("/accounts/login/")),
    "password_change": Entry(read=PEOPLE, write=PEOPLE, browser=True, post=200),
    "password_change_done": Entry(read=PEOPLE, write=NOBODY, browser=True),
    "preferences": Entry(read=PEOPLE, write=PEOPLE, browser=True, post=200),
    "language_switch": Entry(read=NOBODY, write=BROWSER_ROLES, browser=True, post=Redirect("/")),
    "tokens": Entry(read=PEOPLE, write=WRITING_PEOPLE, browser=True, post=200),
    "token_revoke": Entry(read=NOBODY, write=WRITING_PEOPLE, target="token", browser=True,
                          post=Redirect("/accounts/tokens/")),
    "home": Entry(read=PEOPLE, write=NOBODY, browser=True),
    "process_pending": Entry(read=PEOPLE, write=NOBODY, browser=True),
    # the header's global search: staff only (requesters follow their incidents in the portal)
    "search": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "search_suggest": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    # the people pickers' search (Tom Select): JSON for staff, at most 20 matches
    "people_search": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "team_list": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "team_detail": Entry(read=STAFF_PEOPLE, write=NOBODY, target="team", browser=True),
    "team_create": Entry(read=ADMINS, write=ADMINS, browser=True, post=200),
    "team_update": Entry(read=ADMINS, write=ADMINS, target="team", browser=True, post=200),
    "customer_list": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "customer_detail": Entry(read=STAFF_PEOPLE, write=NOBODY, target="customer", browser=True),
    "customer_create": Entry(read=ADMINS, write=ADMINS, browser=True, post=200),
    "customer_update": Entry(read=ADMINS, write=ADMINS, target="customer", browser=True, post=200),
    # CMDB browser pages: staff read; team leads and administrators write; administrators the types
    "ci_list": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "ci_search": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "ci_detail": Entry(read=STAFF_PEOPLE, write=NOBODY, target="ci", browser=True),
    "ci_create": Entry(read=CMDB_WRITING_PEOPLE, write=CMDB_WRITING_PEOPLE, browser=True, post=200),
    "ci_type_fields": Entry(read=CMDB_WRITING_PEOPLE, write=NOBODY, browser=True),
    "ci_update": Entry(read=CMDB_WRITING_PEOPLE, write=CMDB_WRITING_PEOPLE, target="ci", browser=True, post=200),
    "ci_transition": Entry(read=NOBODY, write=CMDB_WRITING_PEOPLE, target="ci", browser=True,
                           post=Redirect("/cmdb/{ci}/")),
    "relationship_create": Entry(read=NOBODY, write=CMDB_WRITING_PEOPLE, target="ci", browser=True,
                                 post=Redirect("/cmdb/{ci}/#relationships")),
    "relationship_delete": Entry(read=NOBODY, write=CMDB_WRITING_PEOPLE, target="relationship", browser=True,
                                 post=Redirect("/cmdb/{ci}/#relationships")),
    "baseline_create": Entry(read=NOBODY, write=CMDB_WRITING_PEOPLE, target="ci", browser=True,
                             post=Redirect("/cmdb/{ci}/#baselines")),
    "baseline_detail": Entry(read=STAFF_PEOPLE, write=NOBODY, target="baseline", browser=True),
    "baseline_compare": Entry(read=STAFF_PEOPLE, write=NOBODY, target="baseline", browser=True),
    "service_catalogue": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "data_quality": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "ci_import": Entry(read=CMDB_WRITING_PEOPLE, write=CMDB_WRITING_PEOPLE, browser=True, post=200),
    "ci_type_list": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "ci_type_detail": Entry(read=STAFF_PEOPLE, write=NOBODY, target="ci_type", browser=True),
    "ci_type_create": Entry(read=ADMINS, write=ADMINS, browser=True, post=200),
    "ci_type_update": Entry(read=ADMINS, write=ADMINS, target="ci_type", browser=True, post=200),
    "relationship_type_list": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "relationship_type_create": Entry(read=ADMINS, write=ADMINS, browser=True, post=200),
    "relationship_type_update": Entry(read=ADMINS, write=ADMINS, target="relationship_type", browser=True, post=200),
}
# Incident and SLA URLs: each slice keeps its entries (and any extra targets) in tests/incidents/matrix_*.py.
INCIDENT_MATRICES = (matrix_api, matrix_agent, matrix_portal, sla_matrix_api, sla_matrix_settings, audit_matrix,
                     sla_matrix_dashboard, problem_matrix_api, problem_matrix_pages, problem_matrix_reports,
                     problem_matrix_known_errors, matrix_records, matrix_catalogue, matrix_approvals,
                     matrix_schedule, matrix_cmdb, matrix_reports)
for _module in INCIDENT_MATRICES:
    MATRIX.update(_module.ENTRIES)

# The Django admin guards itself (staff only); tests/itsm/test_admin_site.py covers it.
EXCLUDED_NAMESPACES = ("admin",)


def url_names():
    """Qualified names of every URL pattern, without DRF's format-suffix duplicates."""
    found = {}

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace)
            elif isinstance(pattern, URLPattern):
                if "format" in pattern.pattern.regex.groupindex:
                    continue
                found[f"{namespace}{pattern.name}"] = pattern

    walk(get_resolver().url_patterns, "")
    return found


def test_every_url_has_an_entry():
    names = {n for n in url_names() if not n.startswith(tuple(f"{ns}:" for ns in EXCLUDED_NAMESPACES))}

    assert "None" not in "".join(names), "every URL pattern needs a name"
    missing = sorted(names - set(MATRIX))
    stale = sorted(set(MATRIX) - names)
    assert not missing, f"add these URLs to MATRIX: {missing}"
    assert not stale, f"these MATRIX entries name no URL: {stale}"


def make_people():
    return {
        "requester": UserFactory(username="m-requester", roles=[Role.REQUESTER]),
        "agent": UserFactory(username="m-agent", roles=[Role.AGENT]),
        "team_lead": UserFactory(username="m-lead", roles=[Role.TEAM_LEAD]),
        "problem_manager": UserFactory(username="m-problems", roles=[Role.PROBLEM_MANAGER]),
        "change_manager": UserFactory(username="m-changes", roles=[Role.CHANGE_MANAGER]),
        "auditor": UserFactory(username="m-auditor", roles=[Role.AUDITOR]),
        "administrator": UserFactory(username="m-admin", roles=[Role.ADMINISTRATOR]),
    }


def make_targets(people):
    agent = people["agent"]
    base = {
        "user": agent,
        "customer": CustomerFactory(),
        "team": TeamFactory(members=[agent]),
        "ticket": make_ticket(agent),
        **cmdb_targets(people["team_lead"]),
        # Each role revokes its own token; anonymous callers try the agent's.
        "agent_token": services.token_create(actor=agent, user=agent, name="agent's", days=1, read_only=False)[0],
        # The requester of the matrix is this incident's caller: the portal shows it to them.
        "incident": make_incident(people["administrator"], caller=people["requester"]),
    }
    for module in INCIDENT_MATRICES:
        base.update(module.targets(people, base))
    return base


def cmdb_targets(writer):
    from config_items import services as cmdb
    from config_items.models import CIType, RelationshipType

    ci = make_ci(writer, name="matrix app")
    relationship = link(ci, make_ci(writer, name="matrix database"), actor=writer)
    return {
        "ci": ci,
        "ci_type": CIType.objects.get(slug="application"),
        "relationship": relationship,
        "relationship_type": RelationshipType.objects.get(slug="depends-on"),
        "baseline": cmdb.baseline_create(actor=writer, root=ci, name="matrix", reason="permission matrix"),
    }


def make_credentials(people):
    """Per role: the session key its browser sends (people) or the bearer secret (the read-only
    token, the agent's), and the token it owns (what it may revoke)."""
    credentials = {"anonymous": (None, None, None)}
    for role in (r for r in ROLES if r != "anonymous"):
        user = people["agent"] if role == "read_only_token" else people[role]
        token, secret = services.token_create(actor=user, user=user, name=f"matrix-{role}", days=1,
                                              read_only=role == "read_only_token")
        if role == "read_only_token":
            credentials[role] = (None, secret, token)
        else:
            browser = Client()
            browser.force_login(user)
            credentials[role] = (browser.cookies[settings.SESSION_COOKIE_NAME].value, None, token)
    return credentials


@dataclass
class MatrixData:
    targets: dict  # name -> the object whose pk fills a URL
    credentials: dict  # role -> (session key, bearer secret, own token)


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker):
    """People, sign-ins, tokens and targets, built once in a transaction that the module's end
    rolls back (the tests' `db` savepoints nest inside it)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            people = make_people()
            data = MatrixData(targets=make_targets(people), credentials=make_credentials(people))
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield data
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def client_for(role, matrix):
    client = APIClient()
    session_key, secret, token = matrix.credentials[role]
    if session_key:
        client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    if secret:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client, token


def refusals(role, entry, url):
    """What a refused request may get: on the API 401 without credentials, else 403; in the
    browser the sign-in page for someone not signed in (back to the URL afterwards; sign-out
    sends anyone to it plainly), else 403; and a browser view without the method answers 405
    to everyone (DRF checks permissions first, so the API never does)."""
    if role == "anonymous":
        answers = {Redirect(f"/accounts/login/?next={url}"), Redirect("/accounts/login/")} if entry.browser else {401}
    else:
        answers = {403}
    return answers | {405} if entry.browser else answers


def url_of(name, entry, targets, own_token):
    if entry.target is None:
        return reverse(name)
    target = (own_token or targets["agent_token"]) if entry.target == "token" else targets[entry.target]
    return reverse(name, kwargs={"pk": target.pk})


def answer(response):
    """What a response is, in the terms of an entry: a Redirect for a 302, else the status."""
    if response.status_code == 302:
        return Redirect(response["Location"])
    return response.status_code


def resolved(expected, targets):
    """`expected` with the pks of the targets filled into a Redirect's place."""
    if isinstance(expected, Redirect):
        return Redirect(expected.to.format(**{name: obj.pk for name, obj in targets.items()}))
    return expected


def requests_of(entry):
    requests = [("GET", entry.read), ("POST", entry.write)]
    if entry.sends_patch():
        requests.append(("PATCH", entry.write))
    return requests


def test_every_allowed_request_has_an_expected_answer():
    missing = [f"{name}: {method} allowed to {sorted(allowed)}"
               for name, entry in MATRIX.items() for method, allowed in requests_of(entry)
               if allowed & (BROWSER_ROLES if entry.browser else EVERYONE)
               and any(entry.expected(method, role) is None for role in allowed)]
    assert not missing, f"say what the allowed roles get (get=/post=/patch=): {missing}"


CASES = [(name, role) for name in MATRIX for role in (BROWSER_ROLES if MATRIX[name].browser else ROLES)]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "role"), CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_role_access(name, role, matrix):
    entry = MATRIX[name]
    client, own_token = client_for(role, matrix)
    url = url_of(name, entry, matrix.targets, own_token)

    for method, allowed in requests_of(entry):
        def send(method=method):
            return getattr(client, method.lower())(url, {}, format="json") if method != "GET" else client.get(url)

        if role in allowed:
            response = send()
            expected = resolved(entry.expected(method, role), matrix.targets)
            assert answer(response) == expected, (
                f"{role} should get {expected} for {method} {url}, got {answer(response)}")
        else:
            with assert_nothing_written():
                response = send()
            assert answer(response) in refusals(role, entry, url), (
                f"{role} should be refused {method} {url}, got {answer(response)}")
