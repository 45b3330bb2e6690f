"""Changes in the kernel's registries (called from ChangesConfig.ready): the menu's change list and
its standing queues, the global search of CHG numbers and text, and the start page's panel of
change managers and CAB members."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from itsm.navigation import CHANGES, MenuItem

HOME_QUEUES = ("scheduled_week", "review")


def register() -> None:
    register_menu()
    register_search()
    register_home_panel()


def register_menu() -> None:
    """The change list and two of its queues, for every reader of changes; filling the group ends
    the "change management is not available yet" notice of change managers and CAB members."""
    from itsm.navigation import register as register_item
    from itsm.permissions import STAFF_ROLES

    register_item(MenuItem(_("Changes"), "change_list", icon="git-compare", order=80, roles=STAFF_ROLES,
                           group=CHANGES))
    register_item(MenuItem(_("Scheduled this week"), "change_list", icon="calendar-event", order=82,
                           roles=STAFF_ROLES, group=CHANGES, query="queue=scheduled_week"))
    register_item(MenuItem(_("Changes in review"), "change_list", icon="checks", order=84, roles=STAFF_ROLES,
                           group=CHANGES, query="queue=review"))


def register_search() -> None:
    """CHG numbers open the change; text searches the number and the short description."""
    from itsm import search

    from . import selectors
    from .choices import ChangeState
    from .models import Change

    def changes_of(user):
        return selectors.change_list(user).select_related(None).select_related("assignment_group")

    def hit(change):
        state = ChangeState(change.state)
        return search.SearchHit(
            number=change.number, title=change.short_description, url=reverse("change_detail", args=[change.pk]),
            detail=" · ".join(part for part in (change.get_change_model_display(),
                                                 change.assignment_group.name if change.assignment_group_id else "")
                              if part),
            badge=state.label, colour=state.colour)

    search.register(search.SearchType(
        key="changes", label=_("Changes"), prefix=Change.NUMBER_PREFIX, order=30, queryset=changes_of,
        search=selectors.change_search, hit=hit, list_url_name="change_list", ordering=("-opened_at", "-id"),
        list_params=(("sort", "-opened"),)))


def home_counts(user) -> dict:
    """The start page's change figures: awaiting authorisation, scheduled this week, in review,
    open emergencies (one count each)."""
    from . import selectors
    from .choices import ChangeState

    changes = selectors.change_list(user).select_related(None).order_by()
    counts = selectors.queue_counts(user, (*HOME_QUEUES, "emergency"))
    counts["authorisation"] = changes.filter(state=ChangeState.AUTHORISATION).count()
    return counts


def register_home_panel() -> None:
    from itsm.choices import Role
    from itsm.navigation import HomePanel
    from itsm.navigation import register_home_panel as register_panel

    register_panel(HomePanel("changes/records/home_panel.html", home_counts, order=30,
                             roles=(Role.CHANGE_MANAGER, Role.CAB_MEMBER, Role.ADMINISTRATOR)))
