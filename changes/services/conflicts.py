"""Collision detection of a change's planned window. (Skeleton: the schedule slice fills it in.)"""

from ..models import Change


def conflicts_refresh(change: Change, *, actor=None) -> list:
    """Detect the change's conflicts now, store them (ChangeConflict) and return the current ones."""
    return []


def scheduling_refusal(change: Change, *, override_reason: str = "") -> dict:
    """Field errors if the change's current conflicts forbid scheduling it (blocking ones, or ones
    needing an override when no reason is given); {} when it may be scheduled."""
    return {}


def record_override(change: Change, *, actor, reason: str) -> None:
    """Mark the change's conflicts that need an override as overridden by `actor` for `reason`."""
