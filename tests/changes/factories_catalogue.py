"""Catalogue and risk-questionnaire test data, made through the services."""

from datetime import timedelta

from django.utils import timezone

from changes.services.catalogue import template_approve, template_create
from changes.services.risk import risk_question_create, risk_thresholds_set
from tests.changes.factories import PLANS
from tests.factories import UserFactory


def admin():
    return UserFactory(username="catalogue-admin", roles=["administrator"])


def make_template(actor=None, *, approved: bool = True, **data):
    """A template (approved by an administrator until a month from now unless told otherwise)."""
    actor = actor or admin()
    data.setdefault("name", "Restart the mail relays")
    data.setdefault("short_description", "Restart the mail relays")
    for name, plan in PLANS.items():
        data.setdefault(name, plan)
    template = template_create(actor=actor, data=data)
    if approved:
        template = template_approve(actor=actor, template=template, notes="Routine",
                                    review_date=timezone.localdate() + timedelta(days=30))
    return template


def make_questionnaire(actor=None):
    """Two questions (weights 0/5/10 and 0/3) and thresholds moderate 5, high 10, very high 15.
    Returns {question text: (question, [options])}."""
    actor = actor or admin()
    outage = risk_question_create(actor=actor, data={"text": "Does it need an outage?", "order": 1, "options": [
        {"text": "No", "weight": 0}, {"text": "Short", "weight": 5}, {"text": "Long", "weight": 10}]})
    tested = risk_question_create(actor=actor, data={"text": "Was it tested?", "order": 2, "options": [
        {"text": "Yes", "weight": 0}, {"text": "No", "weight": 3}]})
    risk_thresholds_set(actor=actor, scores={"moderate": 5, "high": 10, "very_high": 15})
    return {q.text: (q, list(q.options.order_by("order"))) for q in (outage, tested)}
