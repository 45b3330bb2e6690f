"""Who and where, for entries written deep inside services: the request (address, user agent,
API token) or the Celery task or management command that is running.

Services see only the actor; the trail wants more. The middleware and the task signals set a
ContextVar for the length of one request or task (per thread and per task, never a process
flag), and `current()` reads it.
"""

import sys
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from itsm.client_address import client_address


@dataclass(frozen=True)
class Origin:
    request: Any = None  # the request, for its user and token, which DRF sets after the middleware
    address: str | None = None
    user_agent: str = ""
    task: str = ""

    @property
    def user(self):
        user = getattr(self.request, "user", None)
        return user if user is not None and user.is_authenticated else None

    @property
    def token_id(self) -> int | None:
        # DRF sets `auth` on the Django request too when a token authenticated it.
        return getattr(getattr(self.request, "auth", None), "pk", None)


_origin: ContextVar[Origin | None] = ContextVar("audit_origin", default=None)


def _command() -> str:
    """`manage.py <command>` when this process is one (beat and worker set their task)."""
    if len(sys.argv) > 1 and sys.argv[0].endswith("manage.py"):
        return f"manage.py {sys.argv[1]}"
    return ""


COMMAND = _command()


def current() -> Origin:
    return _origin.get() or Origin(task=COMMAND)


def origin_of(request) -> Origin:
    return Origin(request=request, address=client_address(request),
                  user_agent=request.META.get("HTTP_USER_AGENT", "")[:300])


class AuditContextMiddleware:
    """Names the request's address, user agent and (later) user and token for the trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _origin.set(origin_of(request))
        try:
            return self.get_response(request)
        finally:
            _origin.reset(token)


def task_started(sender=None, task=None, **kwargs):
    """Celery's task_prerun: entries written by the task name it."""
    name = getattr(task, "name", "") or str(sender or "")
    task.request.audit_context_token = _origin.set(Origin(task=f"task {name}"[:200]))


def task_finished(sender=None, task=None, **kwargs):
    token = getattr(getattr(task, "request", None), "audit_context_token", None)
    try:
        _origin.reset(token)
    except (TypeError, ValueError):  # no token, or set in another context: forget the task
        _origin.set(None)
