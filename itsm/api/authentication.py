"""API tokens: `Authorization: Bearer <token>`. Only a digest is stored."""

import functools
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from ..models import ApiToken, with_role_names
from ..permissions import mark_read_only
from ..tokens import TOKEN_PREFIX, digest

# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@functools.cache
def tokens_with_users():
    """Tokens with their users and the users' roles, in one query. Built once per process
    (building the roles' subquery cost as much as running it); every use filters a clone."""
    return with_role_names(ApiToken.objects.select_related("user"), user="user_id")


class TokenAuthentication(authentication.BaseAuthentication):
    keywords = ("bearer", "token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace").lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header."))
        secret = header[1].decode(errors="replace")
        token = None
        if secret.startswith(TOKEN_PREFIX):
            token = tokens_with_users().filter(key_digest=digest(secret)).first()
        if token is None or not token.is_active or not token.user.is_active or token.user.access_expired:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        token.user.role_names_joined = token.role_names_joined  # the permission checks need no query
        if token.read_only:
            mark_read_only(token.user)  # so that services, which see only the actor, refuse writes
        self._touch(token)
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'

    @staticmethod
    def _touch(token: ApiToken) -> None:
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
