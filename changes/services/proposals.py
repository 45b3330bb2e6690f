"""Proposed CI changes of a change, applied to the CMDB when it succeeds. (Skeleton: the CMDB
slice fills it in.)"""

from ..models import Change


def proposals_apply(change: Change, *, actor) -> list:
    """Apply the change's pending proposed CI changes through the CMDB services."""
    return []
