"""Incident settings (/incidents/settings/): categories and the impact × urgency priority matrix.

Staff read them (so agents know what a priority means); administrators change them, through
incidents.services (category_create / category_update / priority_matrix_update).
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from itsm.exceptions import DomainError
from itsm.forms import StyledForm, add_error_to_form
from itsm.permissions import ADMIN_ROLES, STAFF_ROLES
from itsm.views.mixins import RoleRequiredMixin, ServiceFormView

from .. import selectors, services
from ..choices import Impact, Priority, Urgency
from ..models import Category


class SettingsMixin(RoleRequiredMixin):
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES


# --- categories ---------------------------------------------------------------------------------

class CategoryForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    parent = forms.ModelChoiceField(
        label=gettext_lazy("Parent category"), queryset=Category.objects.none(), required=False,
        empty_label=gettext_lazy("None (a top-level category)"),
        help_text=gettext_lazy("Choose a parent to make this a subcategory (two levels only)."),
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True,
                                   help_text=gettext_lazy("Inactive categories are no longer offered for new "
                                                          "incidents; incidents that have one keep it."))

    def __init__(self, *args, category: Category | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.category = category
        parents = Category.objects.filter(parent__isnull=True).order_by("name")
        if category is not None:
            parents = parents.exclude(pk=category.pk)
        self.fields["parent"].queryset = parents


class CategoryListView(SettingsMixin, TemplateView):
    template_name = "incidents/settings/category_list.html"

    def get_context_data(self, **kwargs):
        categories = list(selectors.category_list(self.request.user).order_by("name", "pk"))
        children = {}
        for category in categories:
            if category.parent_id:
                children.setdefault(category.parent_id, []).append(category)
        kwargs["tree"] = [(category, children.get(category.pk, []))
                          for category in categories if category.parent_id is None]
        return super().get_context_data(**kwargs)


class CategoryCreateView(SettingsMixin, ServiceFormView):
    template_name = "incidents/settings/category_form.html"
    form_class = CategoryForm
    read_roles = ADMIN_ROLES
    success_message = gettext_lazy("Category “%(object)s” created.")

    def get_initial(self):
        # "Add a subcategory" links pass the parent.
        parent = self.request.GET.get("parent", "")
        return {"parent": parent} if parent.isdigit() else {}

    def perform(self, form):
        data = form.cleaned_data
        return services.category_create(actor=self.request.user, name=data["name"], parent=data["parent"],
                                        is_active=data["is_active"])

    def get_success_url(self):
        return reverse("incident_category_list")


class CategoryUpdateView(SettingsMixin, ServiceFormView):
    template_name = "incidents/settings/category_form.html"
    form_class = CategoryForm
    read_roles = ADMIN_ROLES
    success_message = gettext_lazy("Category “%(object)s” saved.")

    @cached_property
    def category(self) -> Category:
        return get_object_or_404(selectors.category_list(self.request.user), pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "category": self.category}

    def get_initial(self):
        category = self.category
        return {"name": category.name, "parent": category.parent_id, "is_active": category.is_active}

    def perform(self, form):
        return services.category_update(actor=self.request.user, category=self.category, data=form.cleaned_data)

    def get_success_url(self):
        return reverse("incident_category_list")

    def get_context_data(self, **kwargs):
        kwargs["category"] = self.category
        return super().get_context_data(**kwargs)


# --- priority matrix ------------------------------------------------------------------------------

def cell_name(impact: int, urgency: int) -> str:
    return f"cell_{impact}_{urgency}"


class PriorityMatrixForm(StyledForm):
    """One select per impact × urgency cell."""

    def __init__(self, *args, matrix: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for impact in Impact:
            for urgency in Urgency:
                self.fields[cell_name(impact, urgency)] = forms.TypedChoiceField(
                    label=_("Priority for impact %(impact)s and urgency %(urgency)s") % {
                        "impact": impact.label, "urgency": urgency.label},
                    choices=Priority.choices, coerce=int, initial=matrix[(impact.value, urgency.value)],
                    widget=forms.Select(attrs={"class": "form-select"}),
                )

    def grid(self):
        """Rows of (impact, [(bound field, its Priority) per urgency]) for the template."""
        rows = []
        for impact in Impact:
            cells = []
            for urgency in Urgency:
                field = self[cell_name(impact, urgency)]
                try:
                    priority = Priority(int(field.value()))
                except (TypeError, ValueError):
                    priority = None
                cells.append((field, priority))
            rows.append((impact, cells))
        return rows


class PriorityMatrixView(SettingsMixin, TemplateView):
    template_name = "incidents/settings/priority_matrix.html"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", PriorityMatrixForm(matrix=selectors.priority_matrix()))
        kwargs.update(urgencies=list(Urgency))
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        matrix = selectors.priority_matrix()
        form = PriorityMatrixForm(request.POST, matrix=matrix)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        cells = {(impact.value, urgency.value): form.cleaned_data[cell_name(impact, urgency)]
                 for impact in Impact for urgency in Urgency}
        try:
            changed = services.priority_matrix_update(actor=request.user, cells=cells)
        except (ValidationError, DomainError) as exc:
            add_error_to_form(form, exc)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        if changed:
            messages.success(request, _("Priority matrix saved: %(count)s cells changed. It applies to incidents "
                                        "classified from now on.") % {"count": changed})
        else:
            messages.info(request, _("Nothing changed."))
        return redirect("incident_priority_matrix")


urlpatterns = [
    path("categories/", CategoryListView.as_view(), name="incident_category_list"),
    path("categories/new/", CategoryCreateView.as_view(), name="incident_category_create"),
    path("categories/<int:pk>/edit/", CategoryUpdateView.as_view(), name="incident_category_update"),
    path("priority-matrix/", PriorityMatrixView.as_view(), name="incident_priority_matrix"),
]
