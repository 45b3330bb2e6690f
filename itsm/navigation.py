"""The main menu. Each app adds its entries in `AppConfig.ready()`, so the shell shows
exactly the processes that are installed, in the order of the process flow."""

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
