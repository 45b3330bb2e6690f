"""The main menu and the start page's panels. Each app adds its entries in
`AppConfig.ready()`, so the shell shows exactly the processes that are installed, in the
order of the process flow."""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    icon: str = ""
    order: int = 100
    roles: tuple[str, ...] = ()  # empty: every signed-in user

    @property
    def url(self) -> str:
        return reverse(self.url_name)

    def visible_to(self, user) -> bool:
        return not self.roles or user.has_role(*self.roles)


_menu: list[MenuItem] = []


def register(item: MenuItem) -> None:
    if item not in _menu:
        _menu.append(item)
        _menu.sort(key=lambda i: i.order)


def menu_for(user) -> list[MenuItem]:
    return [item for item in _menu if item.visible_to(user)]


@dataclass(frozen=True)
class HomePanel:
    """A card on the start page, contributed by an app: `context(user)` gives the template's
    variables (keep it to a few cheap queries: everyone lands on this page)."""

    template_name: str
    context: Callable[[object], dict]
    order: int = 100
    roles: tuple[str, ...] = ()

    def visible_to(self, user) -> bool:
        return not self.roles or user.has_role(*self.roles)


_home_panels: list[HomePanel] = []


def register_home_panel(panel: HomePanel) -> None:
    if panel not in _home_panels:
        _home_panels.append(panel)
        _home_panels.sort(key=lambda p: p.order)


def home_panels_for(user) -> list[tuple[HomePanel, dict]]:
    return [(panel, panel.context(user)) for panel in _home_panels if panel.visible_to(user)]
