"""The risk questionnaire: administrators keep its questions, their answers (weights) and the
thresholds that turn a score into a level; staff workers answer it for a change.

A change's risk score is the sum of the weights of its answers, as they were when answered (an
administrator re-weighting an answer later does not change past assessments); its level is the
highest threshold the score reaches (below the lowest one: low). A standard change's risk is its
template's, so it is not asked the questionnaire.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.choices import JournalKind, Role
from itsm.events import emit
from itsm.inputs import MAX_ROW_ID, is_row_id
from itsm.journal import journal_add
from itsm.permissions import permitted, require
from itsm.records import record_save, save_with_history
from itsm.validation import refuse_unknown

from ..choices import ChangeModel, ChangeState, RiskLevel
from ..models import Change, ChangeRiskAnswer, RiskOption, RiskQuestion, RiskThreshold
from ..workflow import CHANGE_WORKERS
from . import approvals

ADMINS = (Role.ADMINISTRATOR,)
QUESTION_FIELDS = ("text", "help_text", "order", "is_active")
OPTION_FIELDS = ("text", "weight", "order")
MIN_OPTIONS = 2  # a question with one answer asks nothing


# --- questions and answers ------------------------------------------------------------------------

@transaction.atomic
def risk_question_create(*, actor, data: dict) -> RiskQuestion:
    """A question with its answers (`options`: [{text, weight, order}], at least two for an active
    question). Administrators only. Side effects: history."""
    require(actor, ADMINS)
    refuse_unknown(data, (*QUESTION_FIELDS, "options"))
    options = list(data.get("options") or ())
    question = RiskQuestion(**{k: v for k, v in data.items() if k != "options"})
    question.text = (question.text or "").strip()
    question.full_clean()
    if question.is_active and len(options) < MIN_OPTIONS:
        raise ValidationError({"options": _("Give the question at least two answers to choose from.")})
    save_with_history(question, actor=actor, reason="created")
    for position, option in enumerate(options):
        _option_save(RiskOption(question=question, order=position), option, actor=actor, reason="created")
    return question


@transaction.atomic
def risk_question_update(*, actor, question: RiskQuestion, data: dict) -> RiskQuestion:
    """Reword, reorder, (de)activate a question. Changes assessed before keep their answers.
    Administrators only. Side effects: history."""
    require(actor, ADMINS)
    refuse_unknown(data, QUESTION_FIELDS)
    question = RiskQuestion.objects.select_for_update().get(pk=question.pk)
    for name, value in data.items():
        setattr(question, name, value)
    question.text = (question.text or "").strip()
    question.full_clean()
    if question.is_active and question.options.count() < MIN_OPTIONS:
        raise ValidationError({"is_active": _("Give the question at least two answers before asking it.")})
    save_with_history(question, actor=actor, reason="updated")
    return question


@transaction.atomic
def risk_option_create(*, actor, question: RiskQuestion, data: dict) -> RiskOption:
    """Add an answer to a question. Administrators only. Side effects: history."""
    require(actor, ADMINS)
    refuse_unknown(data, OPTION_FIELDS)
    question = RiskQuestion.objects.select_for_update().get(pk=question.pk)
    option = RiskOption(question=question)
    _option_save(option, data, actor=actor, reason="created")
    return option


@transaction.atomic
def risk_option_update(*, actor, option: RiskOption, data: dict) -> RiskOption:
    """Reword or re-weight an answer: changes answered before keep the weight they were given.
    Administrators only. Side effects: history."""
    require(actor, ADMINS)
    refuse_unknown(data, OPTION_FIELDS)
    option = RiskOption.objects.select_for_update().select_related("question").get(pk=option.pk)
    _option_save(option, data, actor=actor, reason="updated")
    return option


@transaction.atomic
def risk_option_delete(*, actor, option: RiskOption) -> None:
    """Remove an answer nobody gave (one given stays, for the changes that gave it); an active
    question keeps at least two. Administrators only. Side effects: history."""
    require(actor, ADMINS)
    question = RiskQuestion.objects.select_for_update().get(pk=option.question_id)
    option = RiskOption.objects.get(pk=option.pk)
    if ChangeRiskAnswer.objects.filter(option=option).exists():
        raise ValidationError(_("Changes were assessed with this answer: reword or re-weight it instead."))
    if question.is_active and question.options.count() <= MIN_OPTIONS:
        raise ValidationError(_("An asked question keeps at least two answers: deactivate it first."))
    option._history_user, option._change_reason = actor, "deleted"
    option.delete()


def _option_save(option: RiskOption, data: dict, *, actor, reason: str) -> None:
    refuse_unknown(data, OPTION_FIELDS)
    for name, value in data.items():
        setattr(option, name, value)
    option.text = (option.text or "").strip()
    option.full_clean(exclude=["question"])
    save_with_history(option, actor=actor, reason=reason)


# --- thresholds -----------------------------------------------------------------------------------

@transaction.atomic
def risk_thresholds_set(*, actor, scores: dict) -> list[RiskThreshold]:
    """Set the thresholds at once: {level: lowest score of that level, or None for none}. Levels not
    named keep theirs. The scores must rise with the level. Administrators only. Side effects: history."""
    require(actor, ADMINS)
    refuse_unknown(scores, RiskLevel.values)
    current = {t.level: t for t in RiskThreshold.objects.select_for_update()}
    wanted = {level: t.min_score for level, t in current.items()}
    wanted.update(scores)
    _refuse_unordered({level: score for level, score in wanted.items() if score is not None})
    for level, score in scores.items():
        threshold = current.get(level)
        if score is None:
            if threshold is not None:
                threshold._history_user, threshold._change_reason = actor, "removed"
                threshold.delete()
        elif threshold is None or threshold.min_score != score:
            threshold = threshold or RiskThreshold(level=level)
            threshold.min_score = score
            save_with_history(threshold, actor=actor, reason="risk thresholds set")
    return list(RiskThreshold.objects.all())


def _refuse_unordered(scores: dict) -> None:
    errors = {}
    for level, score in scores.items():
        if not isinstance(score, int) or isinstance(score, bool) or score < 0:
            errors[level] = _("A score is a whole number, 0 or more.")
    if errors:
        raise ValidationError(errors)
    ordered = sorted(scores.items(), key=lambda item: RiskLevel(item[0]).rank)
    for (lower, low_score), (higher, high_score) in zip(ordered, ordered[1:], strict=False):
        if high_score <= low_score:
            errors[higher] = _("%(higher)s must start above %(lower)s (%(score)s).") % {
                "higher": RiskLevel(higher).label, "lower": RiskLevel(lower).label, "score": low_score}
    if errors:
        raise ValidationError(errors)


def risk_level_for(score: int, thresholds=None) -> str:
    """The highest level whose threshold `score` reaches; low below the lowest threshold."""
    thresholds = list(RiskThreshold.objects.all()) if thresholds is None else thresholds
    reached = [t for t in thresholds if score >= t.min_score]
    if not reached:
        return RiskLevel.LOW
    return max(reached, key=lambda t: RiskLevel(t.level).rank).level


# --- a change's assessment ------------------------------------------------------------------------

def risk_assessment_refusal(change: Change) -> str | None:
    """Why the questionnaire may not be answered for `change` now, or None."""
    if change.change_model == ChangeModel.STANDARD:
        return _("A standard change's risk comes from its template.")
    states = [ChangeState.NEW, ChangeState.ASSESSMENT]
    if change.change_model == ChangeModel.EMERGENCY:
        states.append(ChangeState.AUTHORISATION)
    if change.state not in states:
        return _("The risk is assessed while the change is new or being assessed (it is %(state)s).") % {
            "state": change.get_state_display()}
    return None


def may_assess_risk(user, change: Change) -> bool:
    """Whether `user` may answer the questionnaire for `change` now (what the page offers)."""
    return permitted(user, CHANGE_WORKERS) and risk_assessment_refusal(change) is None


@transaction.atomic
def change_assess_risk(*, actor, change: Change, answers: dict, expected_version: int | None = None) -> Change:
    """Answer the questionnaire for `change`: {question id: option id} for every active question.
    Stores the answers (replacing earlier ones, each with its weight now), sets the score and the
    level. Raises ValidationError (per question: "question_<id>"), StaleRecord, NotPermitted.
    Side effects: history, journal entry, event `change.risk_assessed`; an emergency under
    authorisation whose level changes has its approvers asked again (approvals.on_material_edit)."""
    require(actor, CHANGE_WORKERS)
    locked = Change.objects.select_for_update().get(pk=change.pk)
    refusal = risk_assessment_refusal(locked)
    if refusal:
        raise ValidationError(refusal)
    chosen = _chosen_options(answers)
    score = sum(option.weight for option in chosen.values())
    level = risk_level_for(score)
    _store_answers(locked, chosen, actor)
    before = locked.risk
    locked.risk, locked.risk_score, locked.risk_assessed_at = level, score, timezone.now()
    record_save(locked, actor=actor, reason="risk assessed", expected_version=expected_version)
    journal_add(record=locked, actor=actor, kind=JournalKind.SYSTEM, is_public=False,
                body=_("Risk assessed: %(level)s (score %(score)s).") % {
                    "level": RiskLevel(level).label, "score": score},
                data={"risk": level, "score": score, "before": before,
                      "answers": {str(q): o.pk for q, o in chosen.items()}})
    emit("change.risk_assessed", record=locked, actor=actor, payload={"risk": level, "score": score})
    if before and before != level and locked.state == ChangeState.AUTHORISATION:
        # An emergency re-assessed under authorisation: its approvers were chosen by the old risk.
        locked = approvals.on_material_edit(locked, actor=actor, fields=["risk"])
    return locked


def _chosen_options(answers: dict) -> dict:
    """{question id: RiskOption} checked against the active questionnaire, every problem at once."""
    questions = list(RiskQuestion.objects.filter(is_active=True))
    if not questions:
        raise ValidationError(_("There is no risk questionnaire yet: an administrator sets it up."))
    given = {}
    errors = {}
    for key, value in (answers or {}).items():
        question_id, option_id = _as_id(key), _as_id(getattr(value, "pk", value))
        if question_id is None or option_id is None:
            errors[f"question_{key}"] = _("Not a question and an answer.")
        else:
            given[question_id] = option_id
    asked = {q.pk: q for q in questions}
    for question_id in set(given) - set(asked):
        errors[f"question_{question_id}"] = _("This question is not asked.")
    options = RiskOption.objects.in_bulk([o for q, o in given.items() if q in asked])
    chosen = {}
    for question in questions:
        option = options.get(given.get(question.pk))
        if question.pk not in given:
            errors[f"question_{question.pk}"] = _("Answer “%(question)s”.") % {"question": question.text}
        elif option is None or option.question_id != question.pk:
            errors[f"question_{question.pk}"] = _("Choose one of the answers of this question.")
        else:
            chosen[question.pk] = option
    if errors:
        raise ValidationError(errors)
    return chosen


def _as_id(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= MAX_ROW_ID else None
    if isinstance(value, str) and is_row_id(value):
        return int(value)
    return None


def _store_answers(change: Change, chosen: dict, actor) -> None:
    existing = {a.question_id: a for a in ChangeRiskAnswer.objects.filter(change=change)}
    for question_id, option in chosen.items():
        answer = existing.pop(question_id, None) or ChangeRiskAnswer(change=change, question_id=question_id)
        if answer.pk and answer.option_id == option.pk and answer.weight == option.weight:
            continue
        answer.option, answer.weight = option, option.weight
        save_with_history(answer, actor=actor, reason="risk assessed")
    for stale in existing.values():  # questions no longer asked
        stale._history_user, stale._change_reason = actor, "question no longer asked"
        stale.delete()
