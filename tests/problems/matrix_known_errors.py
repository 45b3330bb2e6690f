"""Permission-matrix entries of the known-error and trend-proposal pages (merged by
tests/itsm/test_permission_matrix.py).

Staff read the KEDB, the suggestions and the proposals (auditors included); the people who work
incidents apply a workaround; problem managers (and administrators) accept and dismiss
proposals. The matrix's proposal holds only incidents already linked to a problem, so an empty
accept is refused back to its page.
"""

from tests.incidents.matrix_entry import NOBODY, STAFF_PEOPLE, WORKING_PEOPLE, Entry, Redirect

DECIDERS = frozenset({"problem_manager", "administrator"})

ENTRIES = {
    "problem_known_error_list": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "problem_known_error_suggestions": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    # No incident named: back to the list with a message.
    "problem_known_error_apply": Entry(read=NOBODY, write=WORKING_PEOPLE, target="problem", browser=True,
                                       post=Redirect("/problems/known-errors/")),
    "problem_proposal_list": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "problem_proposal_detail": Entry(read=STAFF_PEOPLE, write=NOBODY, target="proposal", browser=True),
    "problem_proposal_accept": Entry(read=NOBODY, write=DECIDERS, target="proposal", browser=True,
                                     post=Redirect("/problems/proposals/{proposal}/")),
    "problem_proposal_dismiss": Entry(read=NOBODY, write=DECIDERS, target="proposal", browser=True, post=400),
}


def targets(people, base):
    from django.utils import timezone

    from itsm.records import save_with_history
    from problems import services
    from problems.choices import ProposalBasis
    from problems.models import TrendProposal
    from tests.incidents.factories import make_incident

    agent = people["agent"]
    incidents = [make_incident(agent, short_description="Matrix recurring") for _ in range(2)]
    services.problem_link_incidents(actor=agent, problem=base["problem"], incidents=incidents)
    proposal = TrendProposal(key="matrix", basis=ProposalBasis.SIMILAR_TEXT, title="Matrix proposal",
                             explanation="Matrix", incident_count=2, window_days=30, detected_at=timezone.now())
    save_with_history(proposal, actor=agent, reason="matrix")
    proposal.incidents.set(incidents)
    return {"proposal": proposal}
