"""Permission-matrix entries of this slice's change-management URLs (merged by
tests/itsm/test_permission_matrix.py). ENTRIES: {url name: Entry}; targets(people, base): the
objects whose pk fills the URLs (people include "change_manager").

Catalogue and risk: staff read (auditors and read-only tokens too); administrators keep the
settings; change managers and administrators approve templates; staff workers (agents, team
leads, problem and change managers, administrators) raise standard changes and assess risk.
The settings pages are read by administrators, change managers and auditors (not agents)."""

from tests.incidents.matrix_entry import ADMINS, NOBODY, STAFF, STAFF_PEOPLE, Entry, Redirect

CHANGE_WORKERS = frozenset({"agent", "team_lead", "problem_manager", "change_manager", "administrator"})
CHANGE_MANAGERS = frozenset({"change_manager", "administrator"})
SETTINGS_READERS = frozenset({"change_manager", "auditor", "administrator"})

ENTRIES = {
    # API: settings (an empty body is 400 on create; a PATCH of nothing saves nothing, 200;
    # templates are versioned: 428 without If-Match)
    "api:changes:change-category-list": Entry(read=STAFF, write=ADMINS, post=400),
    "api:changes:change-category-detail": Entry(read=STAFF, write=ADMINS, target="change_category", post=405,
                                                patch=200),
    "api:changes:change-template-list": Entry(read=STAFF, write=ADMINS, post=400),
    "api:changes:change-template-detail": Entry(read=STAFF, write=ADMINS, target="change_template", post=405,
                                                patch=428),
    # approving needs a review date (400); retiring needs nothing (200)
    "api:changes:change-template-approve": Entry(read=STAFF, write=CHANGE_MANAGERS, target="change_template",
                                                 get=405, post=400, patch=405),
    "api:changes:change-template-retire": Entry(read=STAFF, write=ADMINS, target="change_template", get=405,
                                                post=200, patch=405),
    "api:changes:risk-question-list": Entry(read=STAFF, write=ADMINS, post=400),
    "api:changes:risk-question-detail": Entry(read=STAFF, write=ADMINS, target="risk_question", post=405,
                                              patch=200),
    "api:changes:risk-option-list": Entry(read=STAFF, write=ADMINS, post=400),
    "api:changes:risk-option-detail": Entry(read=STAFF, write=ADMINS, target="risk_option", post=405, patch=200),
    "api:changes:risk-threshold-list": Entry(read=STAFF, write=ADMINS, post=400),
    "api:changes:risk-threshold-detail": Entry(read=STAFF, write=ADMINS, target="risk_threshold", post=405,
                                               patch=200),
    # API: work (an empty body names the missing template / answers)
    "api:changes:from-template": Entry(read=STAFF, write=CHANGE_WORKERS, get=405, post=400),
    "api:changes:change-risk": Entry(read=STAFF, write=CHANGE_WORKERS, target="catalogue_change", post=400,
                                     patch=405),
    # pages: the catalogue (staff), raising (staff workers), approving (change managers)
    "change_catalogue": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "change_template_detail": Entry(read=STAFF_PEOPLE, write=NOBODY, target="change_template", browser=True),
    "change_template_raise": Entry(read=CHANGE_WORKERS, write=CHANGE_WORKERS, target="change_template",
                                   browser=True, post=200),
    "change_template_approve": Entry(read=CHANGE_MANAGERS, write=CHANGE_MANAGERS, target="change_template",
                                     browser=True, post=200),
    # the risk of a change: its page; an empty POST is refused with the questions named (400)
    "change_risk_assess": Entry(read=STAFF_PEOPLE, write=CHANGE_WORKERS, target="catalogue_change", browser=True,
                                post=400),
    # settings pages: lists for administrators, change managers and auditors; forms for administrators
    "change_category_list": Entry(read=SETTINGS_READERS, write=NOBODY, browser=True),
    "change_category_create": Entry(read=ADMINS, write=ADMINS, browser=True, post=200),
    "change_category_update": Entry(read=ADMINS, write=ADMINS, target="change_category", browser=True, post=200),
    "change_template_list": Entry(read=SETTINGS_READERS, write=NOBODY, browser=True),
    "change_template_create": Entry(read=ADMINS, write=ADMINS, browser=True, post=200),
    "change_template_update": Entry(read=ADMINS, write=ADMINS, target="change_template", browser=True, post=200),
    "change_template_retire": Entry(read=NOBODY, write=ADMINS, target="change_template", browser=True,
                                    post=Redirect("/changes/catalogue/{change_template}/")),
    "change_risk_settings": Entry(read=SETTINGS_READERS, write=NOBODY, browser=True),
    "change_risk_thresholds": Entry(read=ADMINS, write=ADMINS, browser=True,
                                    post=Redirect("/changes/settings/risk/")),
    "change_risk_question_create": Entry(read=ADMINS, write=ADMINS, browser=True, post=200),
    "change_risk_question_update": Entry(read=ADMINS, write=ADMINS, target="risk_question", browser=True, post=200),
    "change_risk_option_create": Entry(read=ADMINS, write=ADMINS, target="risk_question", browser=True, post=200),
    "change_risk_option_update": Entry(read=ADMINS, write=ADMINS, target="risk_option", browser=True, post=200),
    # removing an answer given on a change is refused (a message), back to its question either way
    "change_risk_option_delete": Entry(read=NOBODY, write=ADMINS, target="risk_option", browser=True,
                                       post=Redirect("/changes/settings/risk/questions/{risk_question}/edit/")),
}


def targets(people, base):
    from changes.models import RiskThreshold
    from changes.services.catalogue import category_create
    from tests.changes.factories import make_change
    from tests.changes.factories_catalogue import make_questionnaire, make_template

    admin = people["administrator"]
    questionnaire = make_questionnaire(admin)
    question, options = questionnaire["Does it need an outage?"]
    return {
        "change_category": category_create(actor=admin, data={"name": "Matrix maintenance"}),
        "change_template": make_template(admin, name="Matrix template"),
        "risk_question": question,
        "risk_option": options[0],
        "risk_threshold": RiskThreshold.objects.get(level="high"),
        "catalogue_change": make_change(people["agent"], short_description="Matrix risk"),
    }
