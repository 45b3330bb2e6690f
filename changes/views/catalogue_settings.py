"""Change settings (/changes/settings/...): categories and standard-change templates.

Administrators keep them; change managers and auditors read them (agents work from the catalogue
page instead). Every write goes through changes.services.catalogue.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from itsm.choices import Role
from itsm.exceptions import DomainError, messages_of
from itsm.inputs import is_row_id
from itsm.permissions import ADMIN_ROLES
from itsm.views.mixins import RoleRequiredMixin, ServiceFormView

from .. import catalogue_selectors as selectors
from ..choices import RiskLevel
from ..forms_catalogue import CategoryForm, TemplateForm
from ..models import ChangeCategory, StandardChangeTemplate
from ..services import catalogue

# Who reads the settings pages: the people who set or answer for them (agents use the catalogue).
SETTINGS_READERS = (Role.ADMINISTRATOR, Role.CHANGE_MANAGER, Role.AUDITOR)


class SettingsMixin(RoleRequiredMixin):
    read_roles = SETTINGS_READERS
    write_roles = ADMIN_ROLES
    section = ""

    def get_context_data(self, **kwargs):
        kwargs.setdefault("section", self.section)
        return super().get_context_data(**kwargs)


class SettingsFormView(SettingsMixin, ServiceFormView):
    read_roles = ADMIN_ROLES  # a form is for those who may send it


# --- categories -----------------------------------------------------------------------------------

class CategoryListView(SettingsMixin, TemplateView):
    template_name = "changes/catalogue/category_list.html"
    section = "categories"

    def get_context_data(self, **kwargs):
        kwargs["categories"] = list(selectors.category_list(self.request.user).order_by("name", "pk"))
        return super().get_context_data(**kwargs)


class CategoryFormView(SettingsFormView):
    template_name = "changes/catalogue/category_form.html"
    form_class = CategoryForm
    section = "categories"
    category = None

    def get_success_url(self):
        return reverse("change_category_list")

    def get_context_data(self, **kwargs):
        return super().get_context_data(category=self.category, **kwargs)


class CategoryCreateView(CategoryFormView):
    success_message = gettext_lazy("Category “%(object)s” created.")

    def perform(self, form):
        return catalogue.category_create(actor=self.request.user, data=form.cleaned_data)


class CategoryUpdateView(CategoryFormView):
    success_message = gettext_lazy("Category “%(object)s” saved.")

    @cached_property
    def category(self) -> ChangeCategory:
        return selectors.get_for_user(selectors.category_list(self.request.user), self.kwargs["pk"])

    def get_initial(self):
        return {"name": self.category.name, "description": self.category.description,
                "is_active": self.category.is_active}

    def perform(self, form):
        return catalogue.category_update(actor=self.request.user, category=self.category, data=form.cleaned_data)


# --- templates ------------------------------------------------------------------------------------

class TemplateListView(SettingsMixin, TemplateView):
    """Every template, retired ones too, with its approval status."""

    template_name = "changes/catalogue/template_list.html"
    section = "templates"

    def get_context_data(self, **kwargs):
        templates = selectors.with_services(selectors.template_list(self.request.user)).order_by("-is_active",
                                                                                                "name")
        kwargs["rows"] = template_rows(templates)
        return super().get_context_data(**kwargs)


def template_rows(templates) -> list[dict]:
    """What a row of templates shows: the template, why it may not be used (None: it may), its risk's colour."""
    return [{"template": t, "refusal": catalogue.template_usable(t), "risk_colour": RiskLevel(t.risk).colour}
            for t in templates]


class TemplateFormView(SettingsFormView):
    template_name = "changes/catalogue/template_form.html"
    form_class = TemplateForm
    section = "templates"
    template = None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "template": self.template}

    def get_success_url(self):
        return reverse("change_template_detail", args=[self.object.pk])

    def get_context_data(self, **kwargs):
        return super().get_context_data(template=self.template, **kwargs)


class TemplateCreateView(TemplateFormView):
    success_message = gettext_lazy("Template “%(object)s” created: a change manager approves it before it is used.")

    def perform(self, form):
        return catalogue.template_create(actor=self.request.user, data=form.service_data())


class TemplateUpdateView(TemplateFormView):
    success_message = gettext_lazy("Template “%(object)s” saved.")

    @cached_property
    def template(self) -> StandardChangeTemplate:
        return selectors.get_for_user(selectors.template_list(self.request.user), self.kwargs["pk"])

    def get_initial(self):
        return TemplateForm.initial_of(self.template)

    def perform(self, form):
        was_approved = self.template.approved_at is not None
        template = catalogue.template_update(actor=self.request.user, template=self.template,
                                             data=form.service_data(), expected_version=form.cleaned_data["version"])
        if was_approved and template.approved_at is None:
            messages.warning(self.request, _("Its approval is void: a change manager approves it again before it is "
                                             "used."))
        return template


class TemplateRetireView(SettingsMixin, View):
    """POST: take the template out of the catalogue."""

    def post(self, request, pk):
        template = selectors.get_for_user(selectors.template_list(request.user), pk)
        version = request.POST.get("version", "")
        try:
            catalogue.template_retire(actor=request.user, template=template,
                                      expected_version=int(version) if is_row_id(version) else None)
        except (ValidationError, DomainError) as exc:
            messages.error(request, " ".join(messages_of(exc, field_names=False)))
        else:
            messages.success(request, _("Template “%(name)s” retired.") % {"name": template.name})
        return redirect("change_template_detail", pk=template.pk)


urlpatterns = [
    path("settings/categories/", CategoryListView.as_view(), name="change_category_list"),
    path("settings/categories/new/", CategoryCreateView.as_view(), name="change_category_create"),
    path("settings/categories/<int:pk>/edit/", CategoryUpdateView.as_view(), name="change_category_update"),
    path("settings/templates/", TemplateListView.as_view(), name="change_template_list"),
    path("settings/templates/new/", TemplateCreateView.as_view(), name="change_template_create"),
    path("settings/templates/<int:pk>/edit/", TemplateUpdateView.as_view(), name="change_template_update"),
    path("settings/templates/<int:pk>/retire/", TemplateRetireView.as_view(), name="change_template_retire"),
]
