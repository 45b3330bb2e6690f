"""The risk questionnaire's pages: its settings, a change's answers and the change page's risk card."""

import pytest
from django.urls import reverse

from changes.choices import RiskLevel
from changes.models import Change, RiskQuestion, RiskThreshold
from changes.services.catalogue import change_create_from_template
from changes.services.risk import change_assess_risk
from tests.changes.factories import make_change
from tests.changes.factories_catalogue import make_questionnaire, make_template

pytestmark = pytest.mark.django_db


@pytest.fixture
def questionnaire(admin_user):
    return make_questionnaire(admin_user)


def post_answers(questionnaire, outage: int, tested: int, version: int) -> dict:
    (q1, o1), (q2, o2) = questionnaire.values()
    return {f"question_{q1.pk}": o1[outage].pk, f"question_{q2.pk}": o2[tested].pk, "version": version}


def test_an_administrator_adds_a_question_with_its_answers(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("change_risk_question_create"), {
        "text": "Is it reversible?", "order": 3, "is_active": "on",
        "option_1_text": "Yes", "option_1_weight": 0, "option_2_text": "No", "option_2_weight": 8})
    assert response.status_code == 302
    question = RiskQuestion.objects.get()
    assert [(o.text, o.weight) for o in question.options.order_by("order")] == [("Yes", 0), ("No", 8)]
    page = client.get(reverse("change_risk_settings")).content.decode()
    assert "Is it reversible?" in page and "No · 8" in page


def test_a_question_with_one_answer_is_refused_on_the_page(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("change_risk_question_create"), {
        "text": "Weekend?", "order": 0, "is_active": "on", "option_1_text": "Yes", "option_1_weight": 1})
    assert response.status_code == 200
    assert "at least two answers" in response.content.decode()
    assert not RiskQuestion.objects.exists()


def test_thresholds_out_of_order_are_refused_on_their_field(client, admin_user, questionnaire):
    client.force_login(admin_user)
    response = client.post(reverse("change_risk_thresholds"), {"moderate": 5, "high": 4, "very_high": 15})
    assert response.status_code == 200
    assert response.context["form"].errors["high"]
    response = client.post(reverse("change_risk_thresholds"), {"low": 0, "moderate": 3, "high": 8, "very_high": 12})
    assert response.status_code == 302
    assert {t.level: t.min_score for t in RiskThreshold.objects.all()} == {
        "low": 0, "moderate": 3, "high": 8, "very_high": 12}


def test_an_agent_answers_on_the_change_page(client, agent, questionnaire):
    change = make_change(agent)
    client.force_login(agent)
    page = client.get(reverse("change_detail", args=[change.pk])).content.decode()
    assert 'id="risk-form"' in page and "Does it need an outage?" in page
    response = client.post(reverse("change_risk_assess", args=[change.pk]),
                           post_answers(questionnaire, 2, 1, change.version))
    assert response.status_code == 302
    assert response["Location"] == reverse("change_detail", args=[change.pk]) + "#risk"
    change = Change.objects.get()
    assert (change.risk, change.risk_score) == (RiskLevel.HIGH, 13)
    page = client.get(reverse("change_detail", args=[change.pk])).content.decode()
    assert 'id="risk-answers"' in page and "The answers add up to a score of 13." in page


def test_a_missing_answer_is_named(client, agent, questionnaire):
    change = make_change(agent)
    (q1, o1), (q2, _o2) = questionnaire.values()
    client.force_login(agent)
    response = client.post(reverse("change_risk_assess", args=[change.pk]),
                           {f"question_{q1.pk}": o1[0].pk, "version": change.version})
    assert response.status_code == 400
    assert response.context["panel"]["form"].errors[f"question_{q2.pk}"]
    assert Change.objects.get().risk == ""


def test_a_stale_form_is_refused(client, agent, questionnaire):
    change = make_change(agent)
    client.force_login(agent)
    response = client.post(reverse("change_risk_assess", args=[change.pk]),
                           post_answers(questionnaire, 0, 0, change.version - 1))
    assert response.status_code == 400
    assert Change.objects.get().risk == ""


def test_auditors_see_why_but_no_questionnaire(client, agent, auditor, questionnaire):
    change = change_assess_risk(actor=agent, change=make_change(agent), answers={
        q.pk: options[1].pk for q, options in questionnaire.values()})
    client.force_login(auditor)
    page = client.get(reverse("change_risk_assess", args=[change.pk])).content.decode()
    assert 'id="risk-explanation"' in page and 'id="risk-form"' not in page
    assert 'data-threshold="moderate" aria-current="true"' in page
    assert client.post(reverse("change_risk_assess", args=[change.pk]), {}).status_code == 403


def test_a_standard_change_shows_its_templates_risk(client, agent, admin_user, questionnaire):
    change = change_create_from_template(actor=agent, template=make_template(admin_user), data={})
    client.force_login(agent)
    page = client.get(reverse("change_risk_assess", args=[change.pk])).content.decode()
    assert 'id="risk-form"' not in page
    assert "takes the risk of its template" in page
    response = client.post(reverse("change_risk_assess", args=[change.pk]), {})
    assert response.status_code == 302
