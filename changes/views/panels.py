"""The cards of the change page that each slice of change management adds (risk, approvals,
conflicts, proposed CI changes): `register(Panel(...))` from the slice's view module; the change
page (views/detail.py) shows every panel whose `context(change, request)` returns a dict."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    context: Callable  # (change, request) -> dict | None (None: not shown)
    order: int = 100
    column: str = "main"  # "main" (left, wide) or "side"


_panels: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    _panels[panel.key] = panel


def panels_for(change, request) -> list[dict]:
    shown = []
    for panel in sorted(_panels.values(), key=lambda p: p.order):
        context = panel.context(change, request)
        if context is not None:
            shown.append({"key": panel.key, "template": panel.template, "column": panel.column, **context})
    return shown
