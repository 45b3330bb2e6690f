"""`manage.py create_api_token USERNAME --name NAME`: an API token for an integration or a person.

The secret goes to stdout alone (so `TOKEN=$(manage.py create_api_token ...)` works) and is
never shown again; everything else goes to stderr. Any refusal is one line and exit status 1.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from itsm import services
from itsm.exceptions import DomainError
from itsm.models import User


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print its secret once."

    def add_arguments(self, parser):
        parser.add_argument("username", help="The user the token authenticates as.")
        parser.add_argument("--name", required=True, help="What uses the token, e.g. 'monitoring'.")
        expiry = parser.add_mutually_exclusive_group()
        expiry.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"Lifetime in days, 1 to 3650 (default {settings.API_TOKEN_DEFAULT_DAYS}).",
        )
        expiry.add_argument(
            "--no-expiry", action="store_true", help="A token that never expires (administrators only)."
        )
        parser.add_argument("--read-only", action="store_true", help="Allow only GET, HEAD and OPTIONS.")
        parser.add_argument(
            "--as",
            dest="actor",
            metavar="ADMIN_USERNAME",
            help="Create it as this administrator (for another user, or without expiry). Default: the user itself.",
        )

    def handle(self, *args, username, name, days, no_expiry, read_only, actor, **options):
        user = self._user(username)
        if not user.is_active:
            raise CommandError(f"user {username!r} is inactive: its tokens would be refused")
        actor_user = self._user(actor) if actor else user
        if days is None and not no_expiry:
            days = settings.API_TOKEN_DEFAULT_DAYS
        try:
            token, secret = services.token_create(
                actor=actor_user, user=user, name=name, days=None if no_expiry else days, read_only=read_only
            )
        except ValidationError as exc:
            raise CommandError(
                " ".join(message for messages in exc.message_dict.values() for message in messages)) from exc
        except DomainError as exc:
            raise CommandError(f"{actor_user.username}: {exc.message}") from exc
        expires = token.expires_at.strftime("%Y-%m-%d %H:%M %Z") if token.expires_at else "never"
        access = "read-only" if token.read_only else "read-write"
        self.stderr.write(
            f"Token {token.name!r} for {user.username} ({access}, expires {expires}). "
            "Store the secret now: it is not shown again."
        )
        self.stdout.write(secret)

    @staticmethod
    def _user(username: str) -> User:
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"no user named {username!r}") from None
