"""One-click approval links in the approval-requested email: signed (django.core.signing, a salt
of their own), naming the group, the person and the outcome, expiring after
settings.CHANGE_APPROVAL_LINK_HOURS.

A link decides nothing by itself: its page (GET) asks for confirmation, since mail scanners
open links; the POST decides through changes.services.approvals.change_decide, signed in as
the named person, so the decision is still that person's own (no "on behalf of").
"""

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import NoReverseMatch, reverse

from itsm.approval_models import Outcome

SALT = "changes.approval-link"
URL_NAME = "change_approval_link"
TOKEN_PARAMETER = "t"


class LinkInvalid(Exception):
    """The link was altered or is not one of ours."""


class LinkExpired(Exception):
    """The link is genuine but older than CHANGE_APPROVAL_LINK_HOURS; `link` is what it said."""

    def __init__(self, link):
        super().__init__("expired")
        self.link = link


@dataclass(frozen=True)
class ApprovalLink:
    group_id: int
    user_id: int
    outcome: str


def link_lifetime() -> timedelta:
    return timedelta(hours=settings.CHANGE_APPROVAL_LINK_HOURS)


def approval_token(group, user, outcome: str) -> str:
    if outcome not in Outcome.values:
        raise ValueError(f"unknown outcome {outcome!r}")
    return signing.dumps({"g": group.pk, "u": user.pk, "o": outcome}, salt=SALT, compress=True)


def approval_link(group, user, outcome: str) -> str:
    """The one-click link for `user` to approve or reject (`outcome`) as `group`; absolute when
    SITE_URL is set, "" when the pages are not mounted."""
    try:
        path = reverse(URL_NAME)
    except NoReverseMatch:
        return ""
    return f"{settings.SITE_URL}{path}?{urlencode({TOKEN_PARAMETER: approval_token(group, user, outcome)})}"


def _link_of(value) -> ApprovalLink:
    if not isinstance(value, dict):
        raise LinkInvalid
    group, user, outcome = value.get("g"), value.get("u"), value.get("o")
    if type(group) is not int or type(user) is not int or outcome not in Outcome.values:
        raise LinkInvalid
    return ApprovalLink(group, user, outcome)


def approval_link_read(token: str) -> ApprovalLink:
    """What a link's token says; LinkInvalid if altered, LinkExpired if too old."""
    if not token or len(token) > 1000:
        raise LinkInvalid
    try:
        return _link_of(signing.loads(token, salt=SALT, max_age=link_lifetime()))
    except signing.SignatureExpired:
        raise LinkExpired(_link_of(signing.loads(token, salt=SALT))) from None
    except signing.BadSignature:
        raise LinkInvalid from None
