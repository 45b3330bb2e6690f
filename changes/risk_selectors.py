"""Why a change's risk is what it is: its answers and their weights, the score, the thresholds and
the one it reached, and the impact computed from the CMDB (the services at stake and their
customers). Read by the change page's risk card and the API (GET /api/v1/changes/risk/<id>/)."""

from django.conf import settings
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from config_items.models import ConfigurationItem
from incidents.choices import Impact

from .choices import ChangeModel, RiskLevel
from .models import Change, ChangeRiskAnswer, RiskThreshold


def risk_explanation(change: Change) -> dict:
    """The change's risk and its reasons (plain data: the API answers it as JSON). Five queries."""
    answers = [{
        "question": answer.question_id, "question_text": answer.question.text,
        "option": answer.option_id, "option_text": answer.option.text,
        "weight": answer.weight, "current_weight": answer.option.weight,
    } for answer in ChangeRiskAnswer.objects.filter(change=change).select_related("question", "option")]
    thresholds = sorted(RiskThreshold.objects.all(), key=lambda t: RiskLevel(t.level).rank)
    score = change.risk_score
    standard = change.change_model == ChangeModel.STANDARD
    return {
        "risk": change.risk, "risk_label": RiskLevel(change.risk).label if change.risk else "",
        "assessed": bool(change.risk), "assessed_at": change.risk_assessed_at,
        "basis": "template" if standard else "questionnaire",
        "template": ({"id": change.template_id, "name": change.template.name}
                     if standard and change.template_id else None),
        "score": score,
        "answers": answers,
        "thresholds": [{"level": t.level, "label": RiskLevel(t.level).label, "min_score": t.min_score,
                        "met": score is not None and score >= t.min_score,
                        "reached": t.level == change.risk and score is not None} for t in thresholds],
        "impact": impact_explanation(change),
        "reasons": _risk_reasons(change, answers, thresholds, standard),
    }


def impact_explanation(change: Change) -> dict:
    services = list(ConfigurationItem.objects.filter(pk__in=change.impacted_services.values("pk"))
                    .annotate(customer_count=Count("customers", distinct=True)).order_by("name")
                    .values("pk", "number", "name", "customer_count"))
    high, medium = settings.CHANGE_IMPACT_CUSTOMERS
    return {
        "impact": change.impact, "impact_label": Impact(change.impact).label,
        "customers": change.impacted_customer_count,
        "services": [{"id": s["pk"], "number": s["number"], "name": s["name"], "customers": s["customer_count"]}
                     for s in services],
        "service_count": len(services),
        "customers_for_high": high, "customers_for_medium": medium,
        "reasons": _impact_reasons(change, len(services), high, medium),
    }


def _risk_reasons(change: Change, answers: list, thresholds: list, standard: bool) -> list[str]:
    if standard:
        return [_("A standard change takes the risk of its template (%(risk)s), approved with it.") % {
            "risk": RiskLevel(change.risk).label if change.risk else _("not set")}]
    if not change.risk or change.risk_score is None:
        return [_("The risk questionnaire has not been answered yet.")]
    reasons = [_("The answers add up to a score of %(score)s.") % {"score": change.risk_score}]
    weighty = [a for a in answers if a["weight"]]
    if weighty:
        top = max(weighty, key=lambda a: a["weight"])
        reasons.append(_("The heaviest answer: “%(option)s” to “%(question)s” (%(weight)s).") % {
            "option": top["option_text"], "question": top["question_text"], "weight": top["weight"]})
    reached = next((t for t in thresholds if t.level == change.risk), None)
    if reached is None:
        reasons.append(_("The score is below every threshold: the risk is low."))
    else:
        reasons.append(_("A score from %(min)s is %(level)s.") % {
            "min": reached.min_score, "level": RiskLevel(reached.level).label})
    following = next((t for t in thresholds if RiskLevel(t.level).rank > RiskLevel(change.risk).rank), None)
    if following is not None:
        reasons.append(_("%(level)s would start at %(min)s.") % {
            "level": RiskLevel(following.level).label, "min": following.min_score})
    if any(a["weight"] != a["current_weight"] for a in answers):
        reasons.append(_("Some answers have been re-weighted since: the score keeps the weights they had."))
    return reasons


def _impact_reasons(change: Change, service_count: int, high: int, medium: int) -> list[str]:
    if not service_count:
        return [_("No service depends on the affected CIs: the impact is low.")]
    reasons = [ngettext("%(count)s service is at stake (affected, or depending on an affected CI).",
                        "%(count)s services are at stake (affected, or depending on the affected CIs).",
                        service_count) % {"count": service_count},
               ngettext("They have %(count)s customer between them.", "They have %(count)s customers between them.",
                        change.impacted_customer_count) % {"count": change.impacted_customer_count},
               _("The impact is high from %(high)s customers, medium from %(medium)s.") % {
                   "high": high, "medium": medium}]
    if service_count > 1 and change.impacted_customer_count < medium:
        reasons.append(_("More than one service at stake is never a low impact."))
    return reasons
