"""Permission-matrix entries of the problem API URLs (merged by tests/itsm/test_permission_matrix.py).

ENTRIES: {url name: Entry}; targets(people, base): the objects whose pk fills the URLs.

Staff read everything of problems (auditors and read-only tokens included); requesters nothing.
Problem workers (agents, team leads, problem managers, administrators) log, edit, link and
investigate; the services refuse the steps that are the problem managers' (tested in
tests/problems/test_api.py). Applying a workaround is incident work (not the problem manager's);
a major incident's waiver is recorded by incident workers and problem managers; administrators
keep the root-cause categories.
"""

from tests.incidents.matrix_entry import ADMINS, NOBODY, STAFF, WORKERS, Entry

PROBLEM_WORKERS = WORKERS | {"problem_manager"}
WAIVERS = WORKERS | {"problem_manager"}  # incident workers and problem managers
PROBLEM_MANAGERS = frozenset({"problem_manager", "administrator"})


def _problem(write=PROBLEM_WORKERS, **expected):
    return Entry(read=STAFF, write=write, target="problem", **expected)


ACTION = {"get": 405, "post": 400, "patch": 405}  # a POST-only action of one problem
LISTING = {"post": 405, "patch": 405}  # a GET-only action of one problem

ENTRIES = {
    "api:problems:problem-list": Entry(read=STAFF, write=PROBLEM_WORKERS, post=400),
    "api:problems:problem-from-incidents": Entry(read=STAFF, write=PROBLEM_WORKERS, get=405, post=400),
    "api:problems:problem-detail": _problem(post=405, patch=428),
    "api:problems:problem-transitions": _problem(**LISTING),
    "api:problems:problem-transition": _problem(**ACTION),
    "api:problems:problem-journal": _problem(**LISTING),
    "api:problems:problem-comments": _problem(**ACTION),
    "api:problems:problem-assign": _problem(**ACTION),
    # GET lists the links, POST links incidents
    "api:problems:problem-incidents": _problem(post=400, patch=405),
    "api:problems:problem-unlink-incident": _problem(**ACTION),
    "api:problems:problem-apply-workaround": _problem(write=WORKERS, **ACTION),
    # GET lists the tasks, POST adds one
    "api:problems:problem-tasks": _problem(post=400, patch=405),
    "api:problems:problem-task-list": Entry(read=STAFF, write=PROBLEM_WORKERS, post=405),
    "api:problems:problem-task-detail": Entry(read=STAFF, write=PROBLEM_WORKERS, target="problem_task", post=405,
                                              patch=428),
    "api:problems:problem-task-finish": Entry(read=STAFF, write=PROBLEM_WORKERS, target="problem_task", **ACTION),
    "api:problems:incident-link-list": Entry(read=STAFF, write=PROBLEM_WORKERS, post=405),
    "api:problems:waiver-list": Entry(read=STAFF, write=WAIVERS, post=400),
    "api:problems:waiver-detail": Entry(read=STAFF, write=WAIVERS, target="waiver", post=405, patch=405),
    # the known-error database: read only (published through the workflow, applied on a problem)
    "api:problems:known-error-list": Entry(read=STAFF, write=NOBODY),
    "api:problems:known-error-detail": Entry(read=STAFF, write=NOBODY, target="known_error"),
    "api:problems:known-error-suggestions": Entry(read=STAFF, write=NOBODY),  # no question: an empty list
    # trend proposals: staff read, problem managers decide (accepting takes no field: 201, a problem)
    "api:problems:proposal-list": Entry(read=STAFF, write=PROBLEM_MANAGERS, post=405),
    "api:problems:proposal-detail": Entry(read=STAFF, write=PROBLEM_MANAGERS, target="api_proposal", post=405,
                                          patch=405),
    "api:problems:proposal-accept": Entry(read=STAFF, write=PROBLEM_MANAGERS, target="api_proposal", get=405, post=201,
                                          patch=405),
    "api:problems:proposal-dismiss": Entry(read=STAFF, write=PROBLEM_MANAGERS, target="api_proposal", **ACTION),
    "api:problems:root-cause-category-list": Entry(read=STAFF, write=ADMINS, post=400),
    "api:problems:root-cause-category-detail": Entry(read=STAFF, write=ADMINS, target="root_cause_category",
                                                     post=405, patch=200),
}


def targets(people, base):
    from incidents import services as incident_services
    from problems import services
    from tests.incidents.factories import make_incident
    from tests.problems.factories import make_problem

    agent, lead = people["agent"], people["team_lead"]
    problem = make_problem(agent, short_description="Matrix problem")
    major = incident_services.incident_promote_major(actor=lead, incident=make_incident(agent), reason="Matrix")
    known_error = services.problem_transition(actor=people["administrator"], problem=make_problem(agent),
                                              name="publish_known_error", data={"workaround": "Matrix"})
    return {
        "known_error": known_error,
        "api_proposal": _proposal(agent),  # free incidents (the pages' "proposal" has none)
        "problem": problem,
        "problem_task": services.problem_task_create(actor=agent, problem=problem,
                                                     data={"short_description": "Matrix task"}),
        "waiver": services.major_incident_waive_problem(actor=agent, incident=major, reason="Matrix"),
        "root_cause_category": services.root_cause_category_create(actor=people["administrator"],
                                                                   data={"name": "Matrix cause"}),
    }


def _proposal(agent):
    """A pending trend proposal: three incidents on one CI in one category."""
    from incidents.models import Category
    from problems import services
    from problems.models import TrendProposal
    from tests.config_items.factories import make_ci
    from tests.incidents.factories import make_incident

    printer, category = make_ci(name="Matrix printer"), Category.objects.create(name="Matrix printing")
    for n in range(3):
        make_incident(agent, short_description=f"Matrix paper jam {n}", cis=[printer], category=category)
    services.trend_detect(threshold=3)
    return TrendProposal.objects.get(ci=printer)
