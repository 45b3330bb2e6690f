"""The built-in sources of the trail, connected in `AuditsConfig.ready()`, and the ones other
apps registered in the kernel's registry (`itsm.audit_sources`).

Every receiver runs inside the transaction of the write it describes and only inserts one row
(plus, for a changed history row, one indexed read of the previous version).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save
from simple_history.signals import post_create_historical_record

from itsm import audit_sources
from itsm.audit_sources import AuditFact
from itsm.choices import JournalKind
from itsm.models import ApiToken, Attachment, JournalEntry

from .context import current, origin_of
from .writer import label_of, plain, write

HISTORY_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


def history_changes(sender, history_instance, instance) -> dict:
    """{field: [before, after]} of a history row against the version before it (created: the
    values set; deleted: nothing). The previous version is one read by the record's id."""
    fields = [f for f in sender.tracked_fields if f.editable or f.is_relation]
    kind = history_instance.history_type
    if kind == "-":
        return {}
    previous = None
    if kind == "~":
        previous = (sender.objects.filter(**{instance._meta.pk.attname: instance.pk},
                                          history_id__lt=history_instance.history_id)
                    .order_by("-history_id").first())
    changes = {}
    for field in fields:
        after = plain(getattr(history_instance, field.attname, None))
        before = plain(getattr(previous, field.attname, None)) if previous is not None else None
        if (previous is None and after not in (None, "")) or (previous is not None and before != after):
            changes[field.name] = [before, after]
    return changes


def from_history(sender, instance, history_instance, history_user=None, **kwargs):
    write(AuditFact(
        action=HISTORY_ACTIONS.get(history_instance.history_type, "changed"),
        record=instance, actor=history_user,
        changes=history_changes(sender, history_instance, instance),
    ))


def from_journal(sender, instance, created, raw=False, **kwargs):
    if not created or raw:
        return
    field = JournalEntry._meta.get_field("record")
    record = field.get_cached_value(instance, default=None)  # journal_add sets it: no query
    write(AuditFact(
        action="transition" if instance.kind == JournalKind.STATE_CHANGE else "journal",
        content_type_id=instance.content_type_id, object_id=instance.object_id,
        label=label_of(record) if record is not None else "",
        actor=instance.author,
        changes={"kind": instance.kind, "public": instance.is_public, "body": instance.body,
                 "data": instance.data, "journal_entry": instance.pk},
    ))


def _attachment_fact(action, attachment) -> AuditFact:
    return AuditFact(
        action=action, content_type_id=attachment.content_type_id, object_id=attachment.object_id,
        actor=attachment.uploaded_by if action == "attachment_added" else None,
        label="", changes={"attachment": attachment.pk, "file": attachment.filename,
                           "size": attachment.size, "sha256": attachment.sha256},
    )


def from_attachment_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        write(_attachment_fact("attachment_added", instance))


def from_attachment_deleted(sender, instance, **kwargs):
    write(_attachment_fact("attachment_removed", instance))


def from_sign_in(sender, request, user, **kwargs):
    write(AuditFact("signed_in", record=user, actor=user), origin_of(request) if request else None)


def from_sign_out(sender, request, user, **kwargs):
    if user is not None:
        write(AuditFact("signed_out", record=user, actor=user), origin_of(request) if request else None)


def from_sign_in_failed(sender, credentials, request=None, **kwargs):
    # The name tried, never the password (Django already hides it in `credentials`).
    username = str(credentials.get("username", ""))[:150]
    write(AuditFact("sign_in_failed", label=username, changes={"username": username}),
          origin_of(request) if request is not None else None)


def from_token(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if raw:
        return
    details = {"user": instance.user_id, "name": instance.name, "read_only": instance.read_only,
               "expires_at": instance.expires_at, "key_prefix": instance.key_prefix}
    if created:
        action = "token_created"
    elif instance.revoked_at is not None and "revoked_at" in (update_fields or ()):
        action = "token_revoked"
    else:
        return  # last_used_at is stamped with QuerySet.update(): no signal, nothing to record
    write(AuditFact(action, record=instance, changes=details))


def _related_ids(sender, instance, model, pk_set, action) -> set:
    """The ids on the other side of the change; for a clear, what is about to be removed."""
    if action != "pre_clear":
        return set(pk_set or ())
    fields = [f for f in sender._meta.concrete_fields if f.is_relation]
    mine = next(f for f in fields if f.related_model is type(instance))
    other = next(f for f in fields if f.related_model is model and f is not mine)
    return set(sender.objects.filter(**{mine.attname: instance.pk}).values_list(other.attname, flat=True))


def from_membership(sender, instance, action, reverse, model, pk_set, **kwargs):
    """Roles are groups: a user's groups (either side of the relation) and the permissions of
    users and groups."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    ids = _related_ids(sender, instance, model, pk_set, action)
    if not ids:
        return
    what = "added" if action == "post_add" else "removed"
    field = "permissions" if Permission in (model, type(instance)) else "groups"
    others = model.objects.filter(pk__in=ids)
    if model is Permission:
        others = others.select_related("content_type")  # its str() names the content type
    if reverse:  # group.user_set.add(users): one entry per user changed
        for subject in others:
            write(AuditFact("roles_changed", record=subject, changes={field: {what: [str(instance)]}}))
    else:
        write(AuditFact("roles_changed", record=instance,
                        changes={field: {what: sorted(str(other) for other in others)}}))


def from_request(sender, fact: AuditFact, **kwargs):
    """`itsm.audit_sources.record_audit`: a fact an app hands over itself (exports, ...)."""
    if fact.action == "export_made":
        # An export is a person's (or a token's) download through a page or the API: it names
        # the list and its filters. One built outside a request (code calling csv_response
        # itself) hands nothing to anyone and is not on the trail.
        request = current().request
        if request is None:
            return
        fact = AuditFact(**{**fact.__dict__, "changes": {**fact.changes, "url": request.get_full_path()}})
    write(fact)


def _registered(source: audit_sources.AuditSource):
    def receiver(sender, **kwargs):
        facts = source.build(sender, **kwargs)
        if facts is None:
            return
        for fact in [facts] if isinstance(facts, AuditFact) else facts:
            write(fact)

    return receiver


def connect() -> None:
    """Connect every source (idempotent: dispatch_uid)."""
    user_model = get_user_model()
    post_create_historical_record.connect(from_history, dispatch_uid="audits.history")
    post_save.connect(from_journal, sender=JournalEntry, dispatch_uid="audits.journal")
    post_save.connect(from_attachment_saved, sender=Attachment, dispatch_uid="audits.attachment_added")
    post_delete.connect(from_attachment_deleted, sender=Attachment, dispatch_uid="audits.attachment_removed")
    post_save.connect(from_token, sender=ApiToken, dispatch_uid="audits.token")
    user_logged_in.connect(from_sign_in, dispatch_uid="audits.signed_in")
    user_logged_out.connect(from_sign_out, dispatch_uid="audits.signed_out")
    user_login_failed.connect(from_sign_in_failed, dispatch_uid="audits.sign_in_failed")
    for through in (user_model.groups.through, user_model.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(from_membership, sender=through, dispatch_uid=f"audits.m2m.{through._meta.label}")
    audit_sources.audit_requested.connect(from_request, dispatch_uid="audits.requested")
    for source in audit_sources.sources():
        source.signal.connect(_registered(source), sender=source.sender, weak=False,
                              dispatch_uid=f"audits.source.{source.name}")
    _connect_tasks()


def _connect_tasks() -> None:
    from celery.signals import task_postrun, task_prerun

    from .context import task_finished, task_started

    task_prerun.connect(task_started, weak=False, dispatch_uid="audits.task_started")
    task_postrun.connect(task_finished, weak=False, dispatch_uid="audits.task_finished")
