"""The risk questionnaire: its settings (/changes/settings/risk/...: questions, answers and their
weights, thresholds), a change's answers (/changes/risk/<id>/) and the change page's risk card.

Administrators keep the questionnaire; staff workers answer it for a change (changes.services.risk);
everyone on the staff reads why a change's risk is what it is (changes.risk_selectors).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from itsm.exceptions import DomainError, messages_of
from itsm.forms import add_error_to_form
from itsm.permissions import STAFF_ROLES
from itsm.views.mixins import RoleRequiredMixin

from .. import catalogue_selectors as selectors
from ..choices import RiskLevel
from ..forms_catalogue import OptionForm, QuestionForm, QuestionnaireForm, ThresholdsForm
from ..models import RiskOption, RiskQuestion
from ..risk_selectors import risk_explanation
from ..selectors import change_get_for_user
from ..services import risk
from ..workflow import CHANGE_WORKERS
from .catalogue_settings import SettingsFormView, SettingsMixin
from .panels import Panel, register

# --- settings -------------------------------------------------------------------------------------


class RiskSettingsView(SettingsMixin, TemplateView):
    template_name = "changes/risk/settings.html"
    section = "risk"

    def get_context_data(self, **kwargs):
        user = self.request.user
        kwargs["questions"] = list(selectors.question_list(user))
        kwargs["thresholds"] = sorted(selectors.threshold_list(user), key=lambda t: RiskLevel(t.level).rank)
        return super().get_context_data(**kwargs)


class ThresholdsView(SettingsFormView):
    template_name = "changes/risk/thresholds_form.html"
    form_class = ThresholdsForm
    section = "risk"
    success_message = gettext_lazy("Risk thresholds saved.")

    def get_initial(self):
        return {t.level: t.min_score for t in selectors.threshold_list(self.request.user)}

    def perform(self, form):
        return risk.risk_thresholds_set(actor=self.request.user, scores=form.cleaned_data)

    def get_success_url(self):
        return reverse("change_risk_settings")


class QuestionMixin:
    @cached_property
    def question(self) -> RiskQuestion:
        return selectors.get_for_user(selectors.question_list(self.request.user), self.kwargs["pk"])


class QuestionCreateView(SettingsFormView):
    template_name = "changes/risk/question_form.html"
    form_class = QuestionForm
    section = "risk"
    success_message = gettext_lazy("Question “%(object)s” added.")

    def perform(self, form):
        return risk.risk_question_create(actor=self.request.user, data=form.service_data())

    def get_success_url(self):
        return reverse("change_risk_question_update", args=[self.object.pk])


class QuestionUpdateView(QuestionMixin, SettingsFormView):
    """The question, its answers (each editable) and a form adding one."""

    template_name = "changes/risk/question_form.html"
    form_class = QuestionForm
    section = "risk"
    success_message = gettext_lazy("Question “%(object)s” saved.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "new": False}

    def get_initial(self):
        q = self.question
        return {"text": q.text, "help_text": q.help_text, "order": q.order, "is_active": q.is_active}

    def perform(self, form):
        return risk.risk_question_update(actor=self.request.user, question=self.question, data=form.service_data())

    def get_success_url(self):
        return reverse("change_risk_settings")

    def get_context_data(self, **kwargs):
        return super().get_context_data(question=self.question, option_form=OptionForm(auto_id="id_new_%s"),
                                        **kwargs)


class OptionCreateView(QuestionMixin, SettingsFormView):
    template_name = "changes/risk/option_form.html"
    form_class = OptionForm
    section = "risk"
    success_message = gettext_lazy("Answer “%(object)s” added.")

    def perform(self, form):
        return risk.risk_option_create(actor=self.request.user, question=self.question, data=form.cleaned_data)

    def get_success_url(self):
        return reverse("change_risk_question_update", args=[self.question.pk])

    def get_context_data(self, **kwargs):
        return super().get_context_data(question=self.question, **kwargs)


class OptionUpdateView(SettingsFormView):
    template_name = "changes/risk/option_form.html"
    form_class = OptionForm
    section = "risk"
    success_message = gettext_lazy("Answer “%(object)s” saved.")

    @cached_property
    def option(self) -> RiskOption:
        return selectors.get_for_user(selectors.option_list(self.request.user), self.kwargs["pk"])

    def get_initial(self):
        return {"text": self.option.text, "weight": self.option.weight, "order": self.option.order}

    def perform(self, form):
        return risk.risk_option_update(actor=self.request.user, option=self.option, data=form.cleaned_data)

    def get_success_url(self):
        return reverse("change_risk_question_update", args=[self.option.question_id])

    def get_context_data(self, **kwargs):
        return super().get_context_data(question=self.option.question, option=self.option, **kwargs)


class OptionDeleteView(SettingsMixin, View):
    """POST: remove an answer nobody gave."""

    def post(self, request, pk):
        option = selectors.get_for_user(selectors.option_list(request.user), pk)
        try:
            risk.risk_option_delete(actor=request.user, option=option)
        except (ValidationError, DomainError) as exc:
            messages.error(request, " ".join(messages_of(exc, field_names=False)))
        else:
            messages.success(request, _("Answer “%(text)s” removed.") % {"text": option.text})
        return redirect("change_risk_question_update", pk=option.question_id)


# --- a change's answers ---------------------------------------------------------------------------

def questionnaire_form(change, user, data=None, explanation=None):
    """The questionnaire for `change`, its current answers chosen; None when `user` may not answer now."""
    if not risk.may_assess_risk(user, change):
        return None
    explanation = explanation or risk_explanation(change)
    answered = {a["question"]: a["option"] for a in explanation["answers"]}
    questions = list(selectors.question_list(user, active_only=True))
    return QuestionnaireForm(data, questions=questions, answered=answered, initial={"version": change.version},
                             auto_id="id_risk_%s")


def risk_card(change, request) -> dict:
    """The change page's risk card: the questionnaire when the person may answer it now, and why the
    risk is what it is."""
    explanation = risk_explanation(change)
    return {"explanation": explanation, "form": questionnaire_form(change, request.user, explanation=explanation),
            "action": reverse("change_risk_assess", args=[change.pk]),
            "refusal": risk.risk_assessment_refusal(change)}


class ChangeRiskView(RoleRequiredMixin, TemplateView):
    """GET: the change's risk on a page of its own; POST: its answers (back to the change page)."""

    template_name = "changes/risk/assess.html"
    read_roles = STAFF_ROLES
    write_roles = CHANGE_WORKERS

    @cached_property
    def change(self):
        return change_get_for_user(self.request.user, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        panel = risk_card(self.change, self.request)
        if "form" in kwargs:
            panel["form"] = kwargs.pop("form")
        return super().get_context_data(change=self.change, panel=panel, **kwargs)

    def post(self, request, pk):
        form = questionnaire_form(self.change, request.user, data=request.POST)
        if form is None:
            messages.error(request, risk.risk_assessment_refusal(self.change) or _("You may not assess this risk."))
            return redirect(reverse("change_detail", args=[self.change.pk]) + "#risk")
        if form.is_valid():
            try:
                change = risk.change_assess_risk(actor=request.user, change=self.change, answers=form.answers(),
                                                 expected_version=form.cleaned_data["version"])
            except (ValidationError, DomainError) as exc:
                add_error_to_form(form, exc)
            else:
                messages.success(request, _("Risk assessed: %(level)s (score %(score)s).") % {
                    "level": change.get_risk_display(), "score": change.risk_score})
                return redirect(reverse("change_detail", args=[change.pk]) + "#risk")
        return self.render_to_response(self.get_context_data(form=form), status=400)


def register_panel() -> None:
    register(Panel("risk", "changes/risk/panel.html", risk_card, order=20, column="main"))


urlpatterns = [
    path("settings/risk/", RiskSettingsView.as_view(), name="change_risk_settings"),
    path("settings/risk/thresholds/", ThresholdsView.as_view(), name="change_risk_thresholds"),
    path("settings/risk/questions/new/", QuestionCreateView.as_view(), name="change_risk_question_create"),
    path("settings/risk/questions/<int:pk>/edit/", QuestionUpdateView.as_view(), name="change_risk_question_update"),
    path("settings/risk/questions/<int:pk>/options/", OptionCreateView.as_view(), name="change_risk_option_create"),
    path("settings/risk/options/<int:pk>/edit/", OptionUpdateView.as_view(), name="change_risk_option_update"),
    path("settings/risk/options/<int:pk>/delete/", OptionDeleteView.as_view(), name="change_risk_option_delete"),
    path("risk/<int:pk>/", ChangeRiskView.as_view(), name="change_risk_assess"),
]
