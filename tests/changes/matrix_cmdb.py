"""Permission-matrix entries of the CMDB-control and pipeline slice (merged by
tests/itsm/test_permission_matrix.py): proposed CI changes, unauthorised changes and exempt
discovery sources (pages and API), the CI/CD gate and the pipeline's start and finish.

Staff read everything (auditors and read-only tokens included); change workers propose and
report deployments (start and complete are the implementer's or a change manager's: the matrix
change's implementer is the agent, so team leads and problem managers get the service's 403);
change managers resolve unauthorised changes; administrators keep the exempt sources.

Targets: "cmdb_change" (a new change of the agent's on a CI, the agent implementing it),
"ci_proposal" (a proposed CI change of it), "unauthorised" (an open exception), "exempt_source".
"""

from django.utils import timezone

from tests.incidents.matrix_entry import ADMINS, NOBODY, STAFF, STAFF_PEOPLE, Entry, Redirect, by_role

CHANGE_WORKERS = frozenset({"agent", "team_lead", "problem_manager", "change_manager", "administrator"})
CHANGE_MANAGERS = frozenset({"change_manager", "administrator"})

ENTRIES = {
    # pages: proposed CI changes (an empty proposal is refused on the page again: 400)
    "change_proposals": Entry(read=STAFF_PEOPLE, write=NOBODY, target="cmdb_change", browser=True),
    "change_proposal_add": Entry(read=NOBODY, write=CHANGE_WORKERS, target="cmdb_change", browser=True, post=400),
    "change_proposal_remove": Entry(read=NOBODY, write=CHANGE_WORKERS, target="ci_proposal", browser=True,
                                    post=Redirect("/changes/{cmdb_change}/#proposed-ci-changes")),
    # pages: unauthorised changes (resolving with neither change nor reason: 400)
    "change_unauthorised_list": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "change_unauthorised_detail": Entry(read=STAFF_PEOPLE, write=NOBODY, target="unauthorised", browser=True),
    "change_unauthorised_resolve": Entry(read=NOBODY, write=CHANGE_MANAGERS, target="unauthorised", browser=True,
                                         post=400),
    # pages: exempt discovery sources (an empty form is shown again: 200)
    "change_exempt_source_list": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "change_exempt_source_create": Entry(read=ADMINS, write=ADMINS, browser=True, post=200),
    "change_exempt_source_update": Entry(read=ADMINS, write=ADMINS, target="exempt_source", browser=True, post=200),
    "change_exempt_source_delete": Entry(read=NOBODY, write=ADMINS, target="exempt_source", browser=True,
                                         post=Redirect("/changes/settings/exempt-sources/")),
    # API: proposed CI changes (withdrawing one of a new change: 204)
    "api:changes:proposed-ci-change-list": Entry(read=STAFF, write=CHANGE_WORKERS, post=400),
    "api:changes:proposed-ci-change-detail": Entry(read=STAFF, write=CHANGE_WORKERS, target="ci_proposal", post=405,
                                                   patch=405),
    "api:changes:proposed-ci-change-withdraw": Entry(read=STAFF, write=CHANGE_WORKERS, target="ci_proposal", get=405,
                                                     post=204, patch=405),
    # API: unauthorised changes
    "api:changes:unauthorised-change-list": Entry(read=STAFF, write=CHANGE_MANAGERS, post=405),
    "api:changes:unauthorised-change-detail": Entry(read=STAFF, write=CHANGE_MANAGERS, target="unauthorised",
                                                    post=405, patch=405),
    "api:changes:unauthorised-change-resolve": Entry(read=STAFF, write=CHANGE_MANAGERS, target="unauthorised",
                                                     get=405, post=400, patch=405),
    # API: exempt sources (a PATCH of nothing saves nothing new: 200)
    "api:changes:exempt-source-list": Entry(read=STAFF, write=ADMINS, post=400),
    "api:changes:exempt-source-detail": Entry(read=STAFF, write=ADMINS, target="exempt_source", post=405,
                                              patch=200),
    # API: the gate (read-only tokens may ask) and the pipeline's reports. Starting a new change
    # is refused with the gate's reasons (400) for its implementer and managers, by the
    # implementer rule (403) for other workers; finishing without an outcome is 400.
    "api:changes:change-gate": Entry(read=STAFF, write=CHANGE_WORKERS, target="cmdb_change", post=405, patch=405),
    "api:changes:change-pipeline-start": Entry(read=STAFF, write=CHANGE_WORKERS, target="cmdb_change", get=405,
                                               post=by_role(400, team_lead=403, problem_manager=403), patch=405),
    "api:changes:change-pipeline-finish": Entry(read=STAFF, write=CHANGE_WORKERS, target="cmdb_change", get=405,
                                                post=400, patch=405),
}


def targets(people, base):
    from changes.models import ExemptSource, UnauthorisedChange
    from changes.services.proposals import proposal_add
    from changes.services.records import change_create

    agent = people["agent"]
    change = change_create(actor=agent, data={"short_description": "Matrix: CMDB control", "cis": [base["ci"]],
                                              "implementer": agent})
    proposal = proposal_add(actor=agent, change=change, data={"kind": "attribute", "ci": base["ci"],
                                                              "field": "description", "after": "matrix"})
    now = timezone.now()
    unauthorised = UnauthorisedChange.objects.create(ci=base["ci"], history_id=-1_000_000, changed_at=now,
                                                     changed_by=people["team_lead"], detected_at=now,
                                                     fields={"description": ["", "by hand"]})
    exempt = ExemptSource.objects.create(source="matrix-discovery", reason="The matrix's discovery tool.")
    return {"cmdb_change": change, "ci_proposal": proposal, "unauthorised": unauthorised, "exempt_source": exempt}
