"""The start page: who you are here, your teams, and where to go."""

from django.views.generic import TemplateView

from ..navigation import home_panels_for, menu_for
from ..permissions import ALL_ROLES
from .mixins import RoleRequiredMixin


class HomeView(RoleRequiredMixin, TemplateView):
    template_name = "itsm/home.html"
    read_roles = ALL_ROLES

    def get_context_data(self, **kwargs):
        user = self.request.user
        kwargs.update(
            teams=user.teams.select_related("lead").order_by("name"),
            quick_links=[item for item in menu_for(user) if item.url_name != "home"],
            panels=home_panels_for(user),
        )
        return super().get_context_data(**kwargs)
