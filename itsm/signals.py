"""Signal receivers of the kernel (no business flow here: see DESIGN.md §7)."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver


@receiver(user_logged_in)
def remember_language(sender, request, user, **kwargs):
    # The session keeps the language of the person now signed in.
    request.session["_language"] = user.language
