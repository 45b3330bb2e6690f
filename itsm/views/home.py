"""The start page: who you are here, your teams, and where to go."""

from django.http import HttpResponseRedirect
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from ..navigation import home_panels_for, items_for, menu_for, pending_groups_for
from ..permissions import ALL_ROLES
from .mixins import RoleRequiredMixin


class HomeView(RoleRequiredMixin, TemplateView):
    template_name = "itsm/home.html"
    read_roles = ALL_ROLES

    def get_context_data(self, **kwargs):
        user = self.request.user
        kwargs.update(
            teams=user.teams.select_related("lead").order_by("name"),
            quick_links=[item for item in items_for(user) if item.url_name != "home"],
            panels=home_panels_for(user),
            pending_groups=pending_groups_for(user),
        )
        return super().get_context_data(**kwargs)


class PendingProcessView(RoleRequiredMixin, TemplateView):
    """"Not available yet": where the menu entry of a process the person's role is for leads
    while no installed app provides it (itsm.navigation.pending_groups_for): what is coming,
    and what they can open in the meantime."""

    template_name = "itsm/pending.html"
    read_roles = ALL_ROLES

    def get_context_data(self, **kwargs):
        user = self.request.user
        kwargs.update(pending_groups=pending_groups_for(user),
                      available=[s for s in menu_for(user) if s.group and not s.pending])
        return super().get_context_data(**kwargs)


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request):
    """/favicon.ico, which browsers and tools ask for whatever the page says: the SVG icon."""
    return HttpResponseRedirect(static("img/favicon.svg"))
