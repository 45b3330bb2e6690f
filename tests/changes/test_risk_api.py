"""The risk questionnaire's API: questions, answers, thresholds; assessing a change and its explanation."""

import pytest

from changes.models import RiskThreshold
from changes.services.catalogue import change_create_from_template
from tests.changes.factories import make_change
from tests.changes.factories_catalogue import make_questionnaire, make_template

pytestmark = pytest.mark.django_db

BASE = "/api/v1/changes"


@pytest.fixture
def questionnaire(admin_user):
    return make_questionnaire(admin_user)


def as_user(api, user):
    api.force_authenticate(user)
    return api


def answers(questionnaire, outage: int, tested: int) -> dict:
    (q1, o1), (q2, o2) = questionnaire.values()
    return {str(q1.pk): o1[outage].pk, str(q2.pk): o2[tested].pk}


# --- settings -------------------------------------------------------------------------------------

def test_administrators_create_a_question_with_its_answers(api, admin_user, agent):
    body = {"text": "Is it reversible?", "options": [{"text": "Yes", "weight": 0}, {"text": "No", "weight": 8}]}
    response = as_user(api, admin_user).post(f"{BASE}/risk-questions/", body)
    assert response.status_code == 201, response.json()
    assert [o["weight"] for o in response.json()["options"]] == [0, 8]
    assert as_user(api, agent).post(f"{BASE}/risk-questions/", body).status_code == 403


def test_a_question_needs_two_answers(api, admin_user):
    response = as_user(api, admin_user).post(f"{BASE}/risk-questions/", {"text": "Weekend?", "options": []})
    assert response.status_code == 400
    assert "options" in response.json()["error"]["fields"]


def test_answers_are_added_and_reweighted(api, admin_user, questionnaire):
    question, options = questionnaire["Was it tested?"]
    as_user(api, admin_user)
    created = api.post(f"{BASE}/risk-options/", {"question": question.pk, "text": "Partly", "weight": 2})
    assert created.status_code == 201, created.json()
    response = api.patch(f"{BASE}/risk-options/{options[1].pk}/", {"weight": 4})
    assert response.status_code == 200 and response.json()["weight"] == 4


def test_thresholds_must_rise_with_the_level(api, admin_user, questionnaire):
    high = RiskThreshold.objects.get(level="high")
    as_user(api, admin_user)
    response = api.patch(f"{BASE}/risk-thresholds/{high.pk}/", {"min_score": 20})
    assert response.status_code == 400
    assert "very_high" in response.json()["error"]["fields"]
    assert api.patch(f"{BASE}/risk-thresholds/{high.pk}/", {"min_score": 12}).json()["min_score"] == 12
    assert api.post(f"{BASE}/risk-thresholds/", {"level": "high", "min_score": 11}).status_code == 400


def test_a_missing_threshold_is_created(api, admin_user, questionnaire):
    response = as_user(api, admin_user).post(f"{BASE}/risk-thresholds/", {"level": "low", "min_score": 0})
    assert response.status_code == 201, response.json()
    assert response.json()["level_label"] == "Low"


# --- assessing a change ---------------------------------------------------------------------------

def test_an_agent_assesses_and_reads_why(api, agent, questionnaire):
    change = make_change(agent)
    response = as_user(api, agent).post(f"{BASE}/risk/{change.pk}/", {"answers": answers(questionnaire, 2, 0)})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["risk"], body["score"], body["basis"]) == ("high", 10, "questionnaire")
    assert [t["level"] for t in body["thresholds"] if t["reached"]] == ["high"]
    assert {a["weight"] for a in body["answers"]} == {10, 0}
    assert api.get(f"{BASE}/risk/{change.pk}/").json() == body


def test_an_incomplete_questionnaire_names_the_question(api, agent, questionnaire):
    change = make_change(agent)
    (q1, o1), (q2, _o2) = questionnaire.values()
    response = as_user(api, agent).post(f"{BASE}/risk/{change.pk}/", {"answers": {str(q1.pk): o1[0].pk}})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [f"question_{q2.pk}"]


def test_an_answer_of_another_question_is_refused(api, agent, questionnaire):
    change = make_change(agent)
    (q1, _o1), (q2, o2) = questionnaire.values()
    response = as_user(api, agent).post(f"{BASE}/risk/{change.pk}/",
                                        {"answers": {str(q1.pk): o2[0].pk, str(q2.pk): o2[0].pk}})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [f"question_{q1.pk}"]


def test_a_stale_version_is_refused(api, agent, questionnaire):
    change = make_change(agent)
    response = as_user(api, agent).post(f"{BASE}/risk/{change.pk}/", {"answers": answers(questionnaire, 0, 0)},
                                        HTTP_IF_MATCH=f'"{change.pk}-{change.version + 1}"')
    assert response.status_code == 412


def test_a_standard_change_is_not_asked(api, agent, admin_user, questionnaire):
    change = change_create_from_template(actor=agent, template=make_template(admin_user), data={})
    response = as_user(api, agent).post(f"{BASE}/risk/{change.pk}/", {"answers": answers(questionnaire, 0, 0)})
    assert response.status_code == 400
    body = api.get(f"{BASE}/risk/{change.pk}/").json()
    assert (body["basis"], body["template"]["id"], body["risk"]) == ("template", change.template_id, "low")


def test_auditors_and_read_only_tokens_read_but_never_assess(api, agent, auditor, token_client, questionnaire):
    change = make_change(agent)
    assert as_user(api, auditor).get(f"{BASE}/risk/{change.pk}/").status_code == 200
    assert api.post(f"{BASE}/risk/{change.pk}/", {"answers": answers(questionnaire, 0, 0)}).status_code == 403
    read_only = token_client(agent, read_only=True)
    assert read_only.get(f"{BASE}/risk/{change.pk}/").status_code == 200
    assert read_only.post(f"{BASE}/risk/{change.pk}/", {"answers": answers(questionnaire, 0, 0)}).status_code == 403


def test_requesters_read_nothing(api, requester, agent, questionnaire):
    change = make_change(agent)
    assert as_user(api, requester).get(f"{BASE}/risk/{change.pk}/").status_code == 403
    assert api.get(f"{BASE}/risk-questions/").status_code == 403
