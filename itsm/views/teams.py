"""Teams: staff read them, administrators create and change them."""

import copy

from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView

from .. import selectors, services
from ..exports import Column
from ..filtersets import TeamFilterSet
from ..forms import TeamForm
from ..permissions import ADMIN_ROLES
from .lists import FilteredListView
from .mixins import RoleRequiredMixin, ServiceFormView


class TeamListView(FilteredListView):
    template_name = "itsm/teams/list.html"
    results_template_name = "itsm/teams/_results.html"
    filterset_class = TeamFilterSet
    filter_fields = ("q", "lead", "is_active")
    sort_fields = {"name": "name", "lead": "lead__username", "members": "member_count", "updated": "updated_at"}
    default_sort = "name"
    write_roles = ADMIN_ROLES
    export_name = "teams"
    export_columns = [
        Column(_("Name"), "name"),
        Column(_("Email"), "email"),
        Column(_("Lead"), "lead"),
        Column(_("Lead username"), "lead.username"),
        Column(_("Members"), lambda team: "; ".join(member.username for member in team.members.all())),
        Column(_("Active"), "is_active"),
        Column(_("Updated"), "updated_at"),
    ]

    def get_base_queryset(self):
        return selectors.team_list(self.request.user)

    def prepare_filter_form(self, form) -> None:
        super().prepare_filter_form(form)
        # Offer the people who lead a team, not every account.
        leads = selectors.user_list(self.request.user).filter(led_teams__isnull=False).distinct()
        form.fields["lead"].queryset = leads.order_by("first_name", "last_name", "username")


class TeamDetailView(RoleRequiredMixin, DetailView):
    template_name = "itsm/teams/detail.html"
    context_object_name = "team"
    write_roles = ADMIN_ROLES

    def get_queryset(self):
        return selectors.team_list(self.request.user)


class TeamFormView(ServiceFormView):
    template_name = "itsm/teams/form.html"
    form_class = TeamForm
    read_roles = write_roles = ADMIN_ROLES
    success_url_name = "team_detail"
    team = None

    def get_form_kwargs(self):
        # The form writes the input onto its instance; the page keeps showing the saved record.
        return {**super().get_form_kwargs(), "instance": copy.copy(self.team), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(team=self.team, **kwargs)


class TeamCreateView(TeamFormView):
    success_message = _("Team “%(object)s” created.")

    def perform(self, form):
        return services.team_create(
            actor=self.request.user, data=form.service_data(), members=form.cleaned_data["members"]
        )


class TeamUpdateView(TeamFormView):
    success_message = _("Team “%(object)s” saved.")

    @cached_property
    def team(self):
        return get_object_or_404(selectors.team_list(self.request.user), pk=self.kwargs["pk"])

    def perform(self, form):
        return services.team_update(
            actor=self.request.user, team=self.team, data=form.service_data(),
            members=form.cleaned_data["members"], expected_version=form.cleaned_data["version"],
        )
