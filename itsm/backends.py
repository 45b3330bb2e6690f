"""Authentication backends."""

import functools

from django.contrib.auth.backends import ModelBackend

from .models import User, with_role_names


@functools.cache
def users_with_roles():
    """Users with their roles, in one query; built once per process (as the API's tokens)."""
    return with_role_names(User._default_manager.all())


class RoleAwareModelBackend(ModelBackend):
    """Django's ModelBackend, reading a signed-in user's roles with the user: every page's
    permission checks then need no query of their own."""

    def user_can_authenticate(self, user):
        # Sign-in and every request's session go through here: an expired account is refused.
        return super().user_can_authenticate(user) and not getattr(user, "access_expired", False)

    def get_user(self, user_id):
        user = users_with_roles().filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
