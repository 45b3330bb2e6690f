"""Who authorises a change (approval rules → itsm.approvals groups), and what an approval's
outcome does to the change. (Skeleton: the approvals slice fills it in.)"""

from ..models import Change


def authorisation_request(change: Change, *, actor):
    """Ask the approver groups the rules choose for `change` (called on "request_authorisation")."""
    return None


def authorisation_approved(change: Change) -> bool:
    """Whether the change's current authorisation request is approved."""
    return False


def on_material_edit(change: Change, *, actor, fields: list[str]) -> Change:
    """A material edit after approval: void the approval and ask again. Returns the change."""
    return change
