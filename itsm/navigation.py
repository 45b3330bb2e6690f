"""The main menu and the start page's panels. Each app adds its entries in
`AppConfig.ready()`, so the shell shows exactly the processes that are installed, in the
order of the process flow.

The menu is a row of groups (`MenuGroup`: service desk, changes and releases, ...), each a
dropdown of the items apps register into it (`MenuItem(..., group="service_desk")`). The
kernel defines the groups, so that apps agree on them without importing each other; a group
nobody may see an item of is not shown. A group also names the roles whose daily work it is
(`roles`): while no app has registered an item into it, those people are told that their
process is not built yet (`pending_groups_for`) instead of finding an empty product.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .choices import Role


@dataclass(frozen=True)
class MenuGroup:
    key: str
    label: str
    order: int = 100
    icon: str = ""
    # Whose daily work this group's process is: they see a "not available yet" page while the
    # group is empty (the process's app is not installed).
    roles: tuple[str, ...] = ()
    # The process, and what it will offer, for that page.
    process: str = ""
    planned: str = ""

    @property
    def process_name(self) -> str:
        return self.process or self.label


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    icon: str = ""
    order: int = 100
    roles: tuple[str, ...] = ()  # empty: every signed-in user
    group: str = ""  # a MenuGroup key; empty: a link of its own on the menu bar (Home)
    query: str = ""  # appended to the URL ("queue=triage"): one view of a page, an item of its own

    @property
    def path(self) -> str:
        return reverse(self.url_name)

    @property
    def url(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path

    @property
    def params(self) -> dict[str, list[str]]:
        """The query as {name: [values]}: the page is this item only when the request has them all."""
        return parse_qs(self.query, keep_blank_values=True)

    def visible_to(self, user) -> bool:
        return not self.roles or user.has_role(*self.roles)


@dataclass
class MenuSection:
    """What the menu bar shows: a group with the items the user may open, or (group None) one
    item of its own."""

    group: MenuGroup | None
    items: list[MenuItem] = field(default_factory=list)
    pending: bool = False  # the group of the user's role, not built yet: links to a page saying so

    @property
    def key(self) -> str:
        return self.group.key if self.group else self.items[0].url_name


SERVICE_DESK = "service_desk"
CHANGES = "changes"
CONFIGURATION = "configuration"
SERVICE_LEVELS = "service_levels"
AUDIT = "audit"
SETTINGS = "settings"

_groups: dict[str, MenuGroup] = {}
_menu: list[MenuItem] = []


def register_group(group: MenuGroup) -> None:
    """A group of the menu bar; the kernel's are below, a later process may add its own."""
    _groups[group.key] = group


def register(item: MenuItem) -> None:
    if item.group and item.group not in _groups:
        raise LookupError(f"Menu item {item.url_name!r}: no menu group {item.group!r} (itsm.navigation)")
    if item not in _menu:
        _menu.append(item)
        _menu.sort(key=lambda i: i.order)


for _group in (
    MenuGroup(SERVICE_DESK, _("Service desk"), 10, "lifebuoy", roles=(Role.AGENT, Role.TEAM_LEAD),
              process=_("Incident management"),
              planned=_("Incidents, problems and requests: log, triage, work and resolve them against their "
                        "service levels.")),
    MenuGroup(CHANGES, _("Changes & releases"), 20, "git-compare", roles=(Role.CHANGE_MANAGER, Role.CAB_MEMBER),
              process=_("Change management"),
              planned=_("Change requests with risk and impact assessment, approvals by the change advisory "
                        "board, the change calendar with its conflicts, and release planning.")),
    MenuGroup(CONFIGURATION, _("Configuration"), 30, "server",
              planned=_("The configuration items, their relationships and the service catalogue.")),
    MenuGroup(SERVICE_LEVELS, _("Service levels"), 40, "clock", roles=(Role.TEAM_LEAD,),
              process=_("Service level management"),
              planned=_("Service level agreements, their targets and the SLA dashboard.")),
    MenuGroup(AUDIT, _("Audit"), 50, "clipboard-check", roles=(Role.AUDITOR,),
              process=_("Audit management"),
              planned=_("Internal audits with their findings and corrective actions, the tamper-evident "
                        "audit trail and evidence exports for a certification body.")),
    MenuGroup(SETTINGS, _("Settings"), 90, "settings"),
):
    register_group(_group)


def items_for(user) -> list[MenuItem]:
    """Every menu item the user may open, in menu order (no grouping)."""
    return [item for item in _menu if item.visible_to(user)]


def menu_for(user) -> list[MenuSection]:
    """The menu bar of `user`: ungrouped items and groups in their order, each group with the
    items the user may open; a group without any is left out."""
    sections: dict[str, MenuSection] = {}
    ordered: list[tuple[int, MenuSection]] = []
    for item in items_for(user):
        if not item.group:
            ordered.append((item.order, MenuSection(None, [item])))
            continue
        if item.group not in sections:
            group = _groups[item.group]
            sections[item.group] = MenuSection(group, [])
            ordered.append((group.order, sections[item.group]))
        sections[item.group].items.append(item)
    ordered.extend((group.order, MenuSection(group, pending=True)) for group in pending_groups_for(user))
    return [section for _, section in sorted(ordered, key=lambda pair: pair[0])]


def group(key: str) -> MenuGroup:
    return _groups[key]


def pending_groups_for(user) -> list[MenuGroup]:
    """The groups of the user's own roles that no installed app has filled yet (their process
    is not built): the start page says so and the menu offers a page that explains it."""
    filled = {item.group for item in _menu}
    return sorted(
        (g for g in _groups.values() if g.roles and g.key not in filled and user.has_role(*g.roles)),
        key=lambda g: g.order,
    )


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
