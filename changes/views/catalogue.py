"""The standard-change catalogue (/changes/catalogue/...): every staff member reads the templates
and their approval; staff workers raise a standard change from a usable one; change managers
(and administrators) approve them. The settings pages (categories, templates, the risk
questionnaire) are in catalogue_settings and catalogue_risk; their URLs are gathered here.
"""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from itsm.permissions import ADMIN_ROLES, STAFF_ROLES, permitted
from itsm.views.mixins import RoleRequiredMixin, ServiceFormView

from .. import catalogue_selectors as selectors
from ..choices import RiskLevel
from ..forms_catalogue import ApproveForm, RaiseForm
from ..models import StandardChangeTemplate
from ..services import catalogue
from ..workflow import CHANGE_MANAGERS, CHANGE_WORKERS
from . import catalogue_risk, catalogue_settings


class TemplateMixin:
    @cached_property
    def template(self) -> StandardChangeTemplate:
        return selectors.get_for_user(selectors.with_services(selectors.template_list(self.request.user)),
                                      self.kwargs["pk"])

    def abilities(self) -> dict:
        """What the person may do with templates (the buttons a page shows)."""
        user = self.request.user
        return {"may_raise": permitted(user, CHANGE_WORKERS), "may_approve": permitted(user, CHANGE_MANAGERS),
                "may_edit": permitted(user, ADMIN_ROLES)}


class CatalogueView(TemplateMixin, RoleRequiredMixin, TemplateView):
    """The templates in use, usable ones first, each with its approval and review date."""

    template_name = "changes/catalogue/catalogue.html"
    read_roles = STAFF_ROLES

    def get_context_data(self, **kwargs):
        templates = selectors.with_services(selectors.template_list(self.request.user).filter(is_active=True))
        rows = catalogue_settings.template_rows(templates.order_by("name"))
        kwargs["rows"] = sorted(rows, key=lambda row: row["refusal"] is not None)  # usable ones first
        return super().get_context_data(**self.abilities(), **kwargs)


class TemplateDetailView(TemplateMixin, RoleRequiredMixin, TemplateView):
    """A template: what it does, its approval (and earlier ones), what it is used for."""

    template_name = "changes/catalogue/template_detail.html"
    read_roles = STAFF_ROLES
    APPROVALS_SHOWN = 10

    def get_context_data(self, **kwargs):
        template = self.template
        approvals = (template.history.filter(history_change_reason="approved").select_related("approved_by")
                     .order_by("-history_date")[:self.APPROVALS_SHOWN])
        recent = template.changes.order_by("-opened_at", "-id")[:10]
        return super().get_context_data(template=template, refusal=catalogue.template_usable(template),
                                        risk_colour=RiskLevel(template.risk).colour,
                                        approvals=approvals, recent_changes=recent, **self.abilities(), **kwargs)


class TemplateApproveView(TemplateMixin, ServiceFormView):
    template_name = "changes/catalogue/approve_form.html"
    form_class = ApproveForm
    read_roles = write_roles = CHANGE_MANAGERS
    success_message = gettext_lazy("Template “%(object)s” approved.")
    success_url_name = "change_template_detail"

    def get_initial(self):
        return {"version": self.template.version, "notes": self.template.approval_notes}

    def perform(self, form):
        data = form.cleaned_data
        return catalogue.template_approve(actor=self.request.user, template=self.template,
                                          review_date=data["review_date"], notes=data["notes"],
                                          expected_version=data["version"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(template=self.template, **kwargs)


class TemplateRaiseView(TemplateMixin, ServiceFormView):
    """Raise a standard change from the template (and schedule it at once, if asked)."""

    template_name = "changes/catalogue/raise_form.html"
    form_class = RaiseForm
    read_roles = write_roles = CHANGE_WORKERS
    success_message = gettext_lazy("Standard change %(object)s raised.")

    def get(self, request, *args, **kwargs):
        refusal = catalogue.template_usable(self.template)
        if refusal:
            messages.error(request, refusal)
            return redirect("change_template_detail", pk=self.template.pk)
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "template": self.template}

    def perform(self, form):
        return catalogue.change_create_from_template(actor=self.request.user, template=self.template,
                                                    data=form.service_data(), schedule=form.cleaned_data["schedule"],
                                                    reason="raised from the catalogue")

    def get_success_url(self):
        return reverse("change_detail", args=[self.object.pk])

    def get_context_data(self, **kwargs):
        return super().get_context_data(template=self.template, **kwargs)


def register_menu() -> None:
    """The catalogue for the staff (changes & releases), the settings for administrators."""
    from itsm.navigation import CHANGES, SETTINGS, MenuItem, register

    register(MenuItem(gettext_lazy("Standard changes"), "change_catalogue", icon="book", order=88, roles=STAFF_ROLES,
                      group=CHANGES))
    register(MenuItem(gettext_lazy("Change settings"), "change_category_list", icon="adjustments", order=970,
                      roles=ADMIN_ROLES, group=SETTINGS))


catalogue_risk.register_panel()

urlpatterns = [
    path("catalogue/", CatalogueView.as_view(), name="change_catalogue"),
    path("catalogue/<int:pk>/", TemplateDetailView.as_view(), name="change_template_detail"),
    path("catalogue/<int:pk>/raise/", TemplateRaiseView.as_view(), name="change_template_raise"),
    path("catalogue/<int:pk>/approve/", TemplateApproveView.as_view(), name="change_template_approve"),
    *catalogue_settings.urlpatterns,
    *catalogue_risk.urlpatterns,
]
