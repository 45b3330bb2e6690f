"""The risk questionnaire's rules: completeness, thresholds into levels, weights kept."""

import pytest
from django.core.exceptions import ValidationError

from changes.choices import ChangeState, RiskLevel
from changes.models import ChangeRiskAnswer, RiskThreshold
from changes.risk_selectors import risk_explanation
from changes.services.catalogue import change_create_from_template
from changes.services.risk import (
    change_assess_risk,
    risk_level_for,
    risk_option_delete,
    risk_option_update,
    risk_question_create,
    risk_question_update,
    risk_thresholds_set,
)
from itsm.exceptions import NotPermitted, StaleRecord
from itsm.models import DomainEvent, JournalEntry
from tests.changes.factories import PLANS, make_change, move
from tests.changes.factories_approvals import make_rule
from tests.changes.factories_catalogue import make_questionnaire, make_template
from tests.config_items.factories import link, make_ci, make_service
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def questionnaire(admin_user):
    return make_questionnaire(admin_user)


def answers_for(questionnaire, outage: int, tested: int) -> dict:
    (q1, o1), (q2, o2) = questionnaire.values()
    return {q1.pk: o1[outage].pk, q2.pk: o2[tested].pk}


# --- thresholds -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("score", "level"), [
    (0, RiskLevel.LOW), (4, RiskLevel.LOW), (5, RiskLevel.MODERATE), (9, RiskLevel.MODERATE),
    (10, RiskLevel.HIGH), (14, RiskLevel.HIGH), (15, RiskLevel.VERY_HIGH), (99, RiskLevel.VERY_HIGH)])
def test_thresholds_turn_scores_into_levels(questionnaire, score, level):
    assert risk_level_for(score) == level


def test_thresholds_must_rise_with_the_level(admin_user, questionnaire):
    with pytest.raises(ValidationError) as error:
        risk_thresholds_set(actor=admin_user, scores={"high": 5})  # moderate starts at 5 too
    assert "high" in error.value.message_dict
    with pytest.raises(ValidationError):
        risk_thresholds_set(actor=admin_user, scores={"very_high": 3})
    with pytest.raises(ValidationError):
        risk_thresholds_set(actor=admin_user, scores={"moderate": -1})
    assert {t.level: t.min_score for t in RiskThreshold.objects.all()} == {"moderate": 5, "high": 10,
                                                                          "very_high": 15}


def test_thresholds_move_together_or_go(admin_user, questionnaire):
    risk_thresholds_set(actor=admin_user, scores={"moderate": 20, "high": 30, "very_high": 40})
    assert risk_level_for(25) == RiskLevel.MODERATE
    risk_thresholds_set(actor=admin_user, scores={"very_high": None})
    assert risk_level_for(99) == RiskLevel.HIGH


def test_only_administrators_set_the_questionnaire(change_manager, questionnaire):
    with pytest.raises(NotPermitted):
        risk_thresholds_set(actor=change_manager, scores={"moderate": 1})
    with pytest.raises(NotPermitted):
        risk_question_create(actor=change_manager, data={"text": "?", "options": []})


def test_an_asked_question_has_two_answers_at_least(admin_user, questionnaire):
    with pytest.raises(ValidationError) as error:
        risk_question_create(actor=admin_user, data={"text": "Weekend?", "options": [{"text": "Yes", "weight": 1}]})
    assert "options" in error.value.message_dict
    question, options = questionnaire["Was it tested?"]
    with pytest.raises(ValidationError):
        risk_option_delete(actor=admin_user, option=options[0])
    risk_question_update(actor=admin_user, question=question, data={"is_active": False})
    risk_option_delete(actor=admin_user, option=options[0])
    with pytest.raises(ValidationError):
        risk_question_update(actor=admin_user, question=question, data={"is_active": True})


# --- assessing a change ---------------------------------------------------------------------------

def test_every_active_question_must_be_answered(agent, questionnaire):
    change = make_change(agent)
    (q1, o1), (q2, _o2) = questionnaire.values()
    with pytest.raises(ValidationError) as error:
        change_assess_risk(actor=agent, change=change, answers={q1.pk: o1[0].pk})
    assert set(error.value.message_dict) == {f"question_{q2.pk}"}
    assert q2.text in error.value.message_dict[f"question_{q2.pk}"][0]
    assert not ChangeRiskAnswer.objects.exists()


def test_an_answer_must_belong_to_its_question(agent, questionnaire):
    (q1, _o1), (q2, o2) = questionnaire.values()
    with pytest.raises(ValidationError) as error:
        change_assess_risk(actor=agent, change=make_change(agent), answers={q1.pk: o2[0].pk, q2.pk: o2[0].pk})
    assert set(error.value.message_dict) == {f"question_{q1.pk}"}


def test_unknown_questions_are_refused(agent, questionnaire):
    answers = answers_for(questionnaire, 0, 0)
    with pytest.raises(ValidationError) as error:
        change_assess_risk(actor=agent, change=make_change(agent), answers={**answers, 999999: 1})
    assert "question_999999" in error.value.message_dict


def test_the_score_gives_the_level(agent, questionnaire):
    change = change_assess_risk(actor=agent, change=make_change(agent), answers=answers_for(questionnaire, 2, 1))
    assert (change.risk, change.risk_score) == (RiskLevel.HIGH, 13)
    assert change.risk_assessed_at is not None
    assert JournalEntry.objects.filter(object_id=change.pk, body__contains="score 13").exists()
    assert DomainEvent.objects.filter(name="change.risk_assessed", object_id=change.pk).exists()
    assert change.history.first().risk == RiskLevel.HIGH


def test_answers_keep_the_weight_they_were_given(agent, admin_user, questionnaire):
    change = change_assess_risk(actor=agent, change=make_change(agent), answers=answers_for(questionnaire, 2, 0))
    _q, options = questionnaire["Does it need an outage?"]
    risk_option_update(actor=admin_user, option=options[2], data={"weight": 1})
    explanation = risk_explanation(change)
    answer = next(a for a in explanation["answers"] if a["option"] == options[2].pk)
    assert (answer["weight"], answer["current_weight"]) == (10, 1)
    assert explanation["score"] == 10
    assert any("re-weighted" in reason for reason in explanation["reasons"])


def test_reassessing_replaces_the_answers(agent, questionnaire):
    change = change_assess_risk(actor=agent, change=make_change(agent), answers=answers_for(questionnaire, 2, 1))
    change = change_assess_risk(actor=agent, change=change, answers=answers_for(questionnaire, 0, 0))
    assert (change.risk, change.risk_score) == (RiskLevel.LOW, 0)
    assert ChangeRiskAnswer.objects.filter(change=change).count() == 2


def test_assessment_checks_the_version(agent, questionnaire):
    change = make_change(agent)
    with pytest.raises(StaleRecord):
        change_assess_risk(actor=agent, change=change, answers=answers_for(questionnaire, 0, 0),
                           expected_version=change.version - 1)


def test_risk_is_assessed_only_while_new_or_in_assessment(agent, change_manager, admin_user, questionnaire):
    make_rule(admin_user, users=[change_manager])
    change = change_assess_risk(actor=agent, change=make_change(agent, **PLANS), answers=answers_for(questionnaire,
                                                                                                      0, 0))
    change = move(change_manager, change, "assess", "request_authorisation")
    assert change.state == ChangeState.AUTHORISATION
    with pytest.raises(ValidationError):
        change_assess_risk(actor=agent, change=change, answers=answers_for(questionnaire, 0, 0))


def test_an_emergency_may_be_assessed_in_authorisation(agent, change_manager, admin_user, questionnaire):
    make_rule(admin_user, users=[change_manager], change_model="emergency")
    change = make_change(agent, change_model="emergency", **PLANS)
    change = move(change_manager, change, "request_authorisation")
    change = change_assess_risk(actor=agent, change=change, answers=answers_for(questionnaire, 1, 0))
    assert change.risk == RiskLevel.MODERATE
    change = change_assess_risk(actor=agent, change=change, answers=answers_for(questionnaire, 2, 1))
    assert change.risk == RiskLevel.HIGH
    assert JournalEntry.objects.filter(object_id=change.pk, kind="approval", body__contains="asked again").exists()


def test_standard_changes_take_their_templates_risk(agent, admin_user, questionnaire):
    change = change_create_from_template(actor=agent, template=make_template(admin_user), data={})
    with pytest.raises(ValidationError) as error:
        change_assess_risk(actor=agent, change=change, answers=answers_for(questionnaire, 0, 0))
    assert "template" in error.value.messages[0]
    assert risk_explanation(change)["basis"] == "template"


def test_auditors_and_requesters_do_not_answer(agent, auditor, requester, questionnaire):
    change = make_change(agent)
    for person in (auditor, requester):
        with pytest.raises(NotPermitted):
            change_assess_risk(actor=person, change=change, answers=answers_for(questionnaire, 0, 0))


def test_the_explanation_names_thresholds_and_impact(agent, questionnaire):
    database = make_ci(name="db-01", type_slug="server")
    mail, web = make_service(name="Mail"), make_service(name="Web")
    link(mail, database)
    link(web, mail)
    for service, count in ((mail, 2), (web, 1)):
        service.customers.add(*[CustomerFactory() for _ in range(count)])
    change = make_change(agent, cis=[database])
    change = change_assess_risk(actor=agent, change=change, answers=answers_for(questionnaire, 1, 1))
    explanation = risk_explanation(change)
    assert explanation["score"] == 8
    assert [t["level"] for t in explanation["thresholds"] if t["reached"]] == ["moderate"]
    assert [t["met"] for t in explanation["thresholds"]] == [True, False, False]
    impact = explanation["impact"]
    assert impact["service_count"] == 2
    assert {s["name"]: s["customers"] for s in impact["services"]} == {"Mail": 2, "Web": 1}
    assert any("2 services" in reason for reason in impact["reasons"])
