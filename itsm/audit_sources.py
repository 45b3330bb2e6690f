"""Sources of the audit trail: how any app puts a fact on the trail without importing `audits`.

The trail itself (`audits/`) is the last layer: every app is to its left and may not import
it. So the kernel keeps the vocabulary and the registry, and `audits` listens:

- `record_audit(AuditFact(...))` from inside a service's transaction puts one fact on the
  trail, in that transaction (a failure to write it rolls the service back). Without the
  `audits` app installed it does nothing.
- `register_source(AuditSource(signal, build, sender=...))` in an app's `AppConfig.ready()`
  makes `audits` connect to `signal` and write an entry for each fact `build(sender, **kwargs)`
  returns (None, one `AuditFact` or several). The built-in sources (history rows, journal
  entries, attachments, sign-in, role changes, API tokens, exports) are connected by
  `audits` itself; this registry is for what a later app adds (approvals, problem links...).

`audits` reads the registry in its own `ready()`, which runs after every other app's (it is
last in INSTALLED_APPS), so a source registered in `ready()` is always seen.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# What kind of thing happened. An app may use an action of its own (a short slug); it is
# shown by this label when it has one here, else as it is.
ACTION_LABELS = {
    # In context: "Created" alone is also a column of creation times elsewhere.
    "created": pgettext_lazy("audit action", "Created"),
    "changed": pgettext_lazy("audit action", "Changed"),
    "deleted": pgettext_lazy("audit action", "Deleted"),
    "journal": _("Journal entry"),
    "transition": _("Transition"),
    "attachment_added": _("Attachment added"),
    "attachment_removed": _("Attachment removed"),
    "signed_in": _("Signed in"),
    "sign_in_failed": _("Sign-in failed"),
    "signed_out": _("Signed out"),
    "token_created": _("API token created"),
    "token_revoked": _("API token revoked"),
    "roles_changed": _("Roles or permissions changed"),
    "export_made": _("Export made"),
    "trail_verified": _("Audit trail verified"),
    "trail_archived": _("Audit trail archived"),
    "evidence_requested": _("Evidence bundle requested"),
    "evidence_built": _("Evidence bundle built"),
    "evidence_downloaded": _("Evidence bundle downloaded"),
    "sample_drawn": _("Sample drawn"),
    "record_viewed": _("Record viewed by an auditor"),
    "auditor_access_granted": _("Auditor access granted"),
    "auditor_access_changed": _("Auditor access changed"),
}


@dataclass(frozen=True)
class AuditFact:
    """One thing to put on the trail. `record` is the model instance it is about (or give
    `content_type_id`/`object_id`/`label` when only those are at hand); `actor` the user who
    did it (None: whoever the request or task context names); `changes` plain JSON values,
    {"field": [before, after]} for field changes."""

    action: str
    record: Any = None
    actor: Any = None
    changes: dict = field(default_factory=dict)
    label: str = ""
    content_type_id: int | None = None
    object_id: int | None = None


@dataclass(frozen=True)
class AuditSource:
    """A signal whose sends become trail entries: `build(sender, **kwargs)` returns None, one
    AuditFact or an iterable of them. `sender` narrows the signal as `Signal.connect` does."""

    name: str
    signal: Signal
    build: Callable[..., AuditFact | Iterable[AuditFact] | None]
    sender: Any = None


# Sent by `record_audit`; `audits` writes the fact (no receiver: nothing happens).
audit_requested = Signal()

_sources: list[AuditSource] = []


def register_source(source: AuditSource) -> None:
    """Add a source (in `AppConfig.ready()`); registering the same one twice keeps one."""
    if source not in _sources:
        _sources.append(source)


def sources() -> tuple[AuditSource, ...]:
    return tuple(_sources)


def record_audit(fact: AuditFact) -> None:
    """Put `fact` on the trail in the caller's transaction (nothing without `audits`)."""
    audit_requested.send(sender=AuditFact, fact=fact)


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
