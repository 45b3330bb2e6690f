"""Permission-matrix entries of the approvals and CAB slice (merged by
tests/itsm/test_permission_matrix.py): approval rules, "awaiting my approval", deciding as an
approver group, the one-click links, CAB boards, meetings, agendas and minuted decisions.

Staff read everything (auditors and read-only tokens included); requesters nothing.
Administrators keep the approval rules and the boards. People who work changes decide as the
members of an approver group (the kernel refuses non-members and the requester or implementer
with 403: tests/changes/test_approvals_*.py) and act on CAB meetings, which the services narrow
to the board's chair or a change manager (403 on the API; a message on the page). Pages that
only take a POST answer GET with 405; their refusals come back to the page as messages.

Targets: "approval_rule" (an emergency rule asking the matrix CAB), "approval_group" (its group
in the authorisation of an emergency change the agent requested), "cab_board" (chaired by the
change manager), "cab_meeting" (a meeting of it), "cab_agenda_item" (the change on its agenda).
"""

from tests.incidents.matrix_entry import ADMINS, NOBODY, STAFF, STAFF_PEOPLE, Entry, Redirect, by_role

CHANGE_WORKERS = frozenset({"agent", "team_lead", "problem_manager", "change_manager", "administrator"})
BOARD_PAGE = Redirect("/changes/cab/boards/{cab_board}/")
MEETING_PAGE = Redirect("/changes/cab/meetings/{cab_meeting}/")
CHAIRS = by_role(403, change_manager=200, administrator=200)

ENTRIES = {
    # pages: the queue, deciding (an empty form is 400), the link page (without a link: 400)
    "change_approval_awaiting": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "change_approval_decide": Entry(read=STAFF_PEOPLE, write=CHANGE_WORKERS, target="approval_group", browser=True,
                                    post=400),
    "change_approval_link": Entry(read=STAFF_PEOPLE, write=CHANGE_WORKERS, browser=True, get=400, post=400),
    # pages: approval rules (staff read, administrators write; an empty form comes back: 200)
    "change_approval_rule_list": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "change_approval_rule_create": Entry(read=ADMINS, write=ADMINS, browser=True, post=200),
    "change_approval_rule_update": Entry(read=ADMINS, write=ADMINS, target="approval_rule", browser=True, post=200),
    # pages: CAB boards and meetings; the actions go back to their page
    "change_cab_board_list": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "change_cab_board_create": Entry(read=ADMINS, write=ADMINS, browser=True, post=200),
    "change_cab_board_detail": Entry(read=STAFF_PEOPLE, write=NOBODY, target="cab_board", browser=True),
    "change_cab_board_update": Entry(read=ADMINS, write=ADMINS, target="cab_board", browser=True, post=200),
    "change_cab_meetings_plan": Entry(read=NOBODY, write=CHANGE_WORKERS, target="cab_board", browser=True,
                                      post=BOARD_PAGE),
    "change_cab_meeting_create": Entry(read=NOBODY, write=CHANGE_WORKERS, target="cab_board", browser=True,
                                       post=BOARD_PAGE),
    "change_cab_meeting_detail": Entry(read=STAFF_PEOPLE, write=NOBODY, target="cab_meeting", browser=True),
    "change_cab_agenda_build": Entry(read=NOBODY, write=CHANGE_WORKERS, target="cab_meeting", browser=True,
                                     post=MEETING_PAGE),
    "change_cab_meeting_record": Entry(read=NOBODY, write=CHANGE_WORKERS, target="cab_meeting", browser=True,
                                       post=MEETING_PAGE),
    "change_cab_item_decide": Entry(read=NOBODY, write=CHANGE_WORKERS, target="cab_agenda_item", browser=True,
                                    post=Redirect("/changes/cab/meetings/{cab_meeting}/#item-{cab_agenda_item}")),
    # API: approval rules (no version: an empty PATCH is 200)
    "api:changes:approval-rule-list": Entry(read=STAFF, write=ADMINS, post=400),
    "api:changes:approval-rule-detail": Entry(read=STAFF, write=ADMINS, target="approval_rule", post=405,
                                              patch=200),
    # API: approver groups, the caller's queue, deciding (an empty body is 400)
    "api:changes:approval-list": Entry(read=STAFF, write=CHANGE_WORKERS, post=405),
    "api:changes:approval-detail": Entry(read=STAFF, write=CHANGE_WORKERS, target="approval_group", post=405,
                                         patch=405),
    "api:changes:approval-awaiting": Entry(read=STAFF, write=CHANGE_WORKERS, post=405),
    "api:changes:approval-decide": Entry(read=STAFF, write=CHANGE_WORKERS, target="approval_group", get=405,
                                         post=400, patch=405),
    # API: boards (versioned: PATCH without If-Match is 428), planning (an empty body is 400)
    "api:changes:cab-board-list": Entry(read=STAFF, write=ADMINS, post=400),
    "api:changes:cab-board-detail": Entry(read=STAFF, write=ADMINS, target="cab_board", post=405, patch=428),
    "api:changes:cab-board-plan": Entry(read=STAFF, write=CHANGE_WORKERS, target="cab_board", get=405, post=400,
                                        patch=405),
    # API: meetings; building the agenda is the chair's (the change manager) or a change manager's
    "api:changes:cab-meeting-list": Entry(read=STAFF, write=CHANGE_WORKERS, post=400),
    "api:changes:cab-meeting-detail": Entry(read=STAFF, write=CHANGE_WORKERS, target="cab_meeting", post=405,
                                            patch=428),
    "api:changes:cab-meeting-agenda": Entry(read=STAFF, write=CHANGE_WORKERS, target="cab_meeting", post=405,
                                            patch=405),
    "api:changes:cab-meeting-build-agenda": Entry(read=STAFF, write=CHANGE_WORKERS, target="cab_meeting", get=405,
                                                  post=CHAIRS, patch=405),
    # API: agenda items and the minuted decision (an empty body is 400)
    "api:changes:cab-agenda-item-list": Entry(read=STAFF, write=CHANGE_WORKERS, post=405),
    "api:changes:cab-agenda-item-detail": Entry(read=STAFF, write=CHANGE_WORKERS, target="cab_agenda_item",
                                                post=405, patch=405),
    "api:changes:cab-agenda-item-decide": Entry(read=STAFF, write=CHANGE_WORKERS, target="cab_agenda_item",
                                                get=405, post=400, patch=405),
}


def targets(people, base):
    from datetime import timedelta

    from django.utils import timezone

    from changes.selectors_approvals import pending_authorisation
    from changes.services import cab
    from changes.services.approval_rules import approval_rule_create
    from changes.services.states import change_transition
    from tests.changes.factories import PLANS, make_change

    admin, manager = people["administrator"], people["change_manager"]
    start = timezone.now().replace(microsecond=0) + timedelta(days=2)
    board = cab.board_create(actor=admin, data={
        "name": "Matrix emergency CAB", "members": [people["team_lead"]], "chair": manager, "is_emergency": True,
        "first_meeting": start, "rrule": "FREQ=WEEKLY"})
    rule = approval_rule_create(actor=admin, data={"name": "Matrix emergency CAB", "change_model": "emergency",
                                                   "board": board})
    change = make_change(people["agent"], change_model="emergency", planned_start=start + timedelta(hours=3),
                         planned_end=start + timedelta(hours=5), **PLANS)
    change = change_transition(actor=manager, change=change, name="request_authorisation")
    meeting = cab.meeting_create(actor=manager, board=board, starts_at=start)
    cab.agenda_build(actor=manager, meeting=meeting)
    return {"approval_rule": rule, "approval_group": pending_authorisation(change).groups.get(), "cab_board": board,
            "cab_meeting": meeting, "cab_agenda_item": meeting.items.get()}
