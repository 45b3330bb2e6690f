"""Evidence bundles: asked for by an auditor or administrator, built by a worker through the
outbox, downloaded by them; each request and download is an entry of the trail (the access log).

Lifecycle: `bundle_request` writes the bundle (queued) and an outbox message in one transaction,
so a broker outage loses nothing. The outbox's delivery only claims the message; the build runs
right after that transaction commits (`transaction.on_commit`), outside any transaction, so its
progress is seen by the page while it runs and no row stays locked for minutes. A worker that
dies mid-build leaves the bundle `building` with a stale heartbeat: `bundles_resume` (beat,
every minute) queues it again, at most MAX_ATTEMPTS times.
"""

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm import evidence
from itsm.audit_sources import AuditFact
from itsm.exceptions import DomainError
from itsm.outbox import deliverer, outbox_enqueue
from itsm.permissions import require

from .choices import BundleState
from .evidence.bundle import build, bundle_path
from .models import EvidenceBundle
from .selectors import AUDIT_READERS
from .writer import write

logger = logging.getLogger(__name__)

TOPIC = "evidence-bundle"
STALE = timedelta(minutes=5)  # a building bundle without a progress write for this long was lost
MAX_ATTEMPTS = 3
MAX_PERIOD = timedelta(days=5 * 366)


class BundleNotReady(DomainError):
    status_code = 409
    code = "not_ready"


def _clean(period_start, period_end, processes) -> list[str]:
    errors = {}
    known = {source.key for source in evidence.sources()}
    chosen = [key for key in dict.fromkeys(processes or ())]
    if not chosen:
        errors["processes"] = _("Choose at least one process.")
    elif unknown := [key for key in chosen if key not in known]:
        errors["processes"] = _("Unknown process: %(keys)s.") % {"keys": ", ".join(unknown)}
    if period_start is None or period_end is None:
        errors["period_end"] = _("Give the period's start and end.")
    elif period_end <= period_start:
        errors["period_end"] = _("The period must end after it starts.")
    elif period_end - period_start > MAX_PERIOD:
        errors["period_end"] = _("A bundle covers at most five years.")
    if errors:
        raise ValidationError(errors)
    return chosen


@transaction.atomic
def bundle_request(*, actor, period_start, period_end, processes, customers=(), services=(),
                   include_files: bool = False) -> EvidenceBundle:
    """Ask for a bundle (auditors and administrators; a read put on record). Side effects: the
    bundle row (queued), a trail entry `evidence_requested`, an outbox message that builds it."""
    require(actor, AUDIT_READERS, reading=True)
    chosen = _clean(period_start, period_end, processes)
    bundle = EvidenceBundle.objects.create(
        requested_by=actor, period_start=period_start, period_end=period_end, processes=chosen,
        customers=sorted({int(pk) for pk in customers}), services=sorted({int(pk) for pk in services}),
        include_files=bool(include_files))
    write(AuditFact("evidence_requested", record=bundle, actor=actor, label=f"EVB{bundle.pk}", changes={
        "period": [period_start.isoformat(), period_end.isoformat()], "processes": chosen,
        "customers": bundle.customers, "services": bundle.services, "include_files": bundle.include_files}))
    outbox_enqueue(TOPIC, {"bundle": bundle.pk})
    return bundle


@deliverer(TOPIC)
def _deliver(payload: dict) -> None:
    # Runs in the outbox's delivery transaction: build only once it has committed (see above).
    transaction.on_commit(lambda: bundle_build(payload["bundle"]))


def _claim(bundle_id: int) -> EvidenceBundle | None:
    with transaction.atomic():
        bundle = EvidenceBundle.objects.select_for_update().filter(pk=bundle_id).first()
        if bundle is None or bundle.state != BundleState.QUEUED:
            return None  # built, failed, or being built by another worker: nothing to do
        bundle.state, bundle.started_at, bundle.heartbeat_at = BundleState.BUILDING, timezone.now(), timezone.now()
        bundle.attempts += 1
        bundle.progress, bundle.step = 0, ""
        bundle.save(update_fields=["state", "started_at", "heartbeat_at", "attempts", "progress", "step"])
    return bundle


def bundle_build(bundle_id: int) -> str:
    """Build a queued bundle (the worker; safe to run twice: a bundle not queued is left alone).
    Side effects: the ZIP in EVIDENCE_DIR, the bundle row (ready or failed), a trail entry
    `evidence_built`."""
    bundle = _claim(bundle_id)
    if bundle is None:
        return "skipped"
    try:
        result = build(bundle)
    except Exception as exc:  # any failure ends in a row saying so, never a bundle stuck building
        logger.exception("evidence bundle %s failed", bundle_id)
        _finish(bundle, BundleState.FAILED, {"error": f"{type(exc).__name__}: {exc}"[:2000]})
        return "failed"
    _finish(bundle, BundleState.READY, result)
    return "ready"


@transaction.atomic
def _finish(bundle: EvidenceBundle, state: str, values: dict) -> None:
    values = {**values, "state": state, "finished_at": timezone.now(), "heartbeat_at": timezone.now()}
    if state == BundleState.READY:
        values["progress"], values["step"] = 100, ""
    EvidenceBundle.objects.filter(pk=bundle.pk).update(**values)
    write(AuditFact("evidence_built", record=bundle, label=f"EVB{bundle.pk}", changes={
        "state": state, **{key: values.get(key) for key in ("sha256", "manifest_sha256", "files", "error")
                           if values.get(key) is not None}}))


def bundles_resume() -> int:
    """Queue again the bundles whose worker died while building them (no progress write for
    STALE); fail them after MAX_ATTEMPTS. Side effects: bundle rows, outbox messages."""
    resumed = 0
    stale = EvidenceBundle.objects.filter(state=BundleState.BUILDING, heartbeat_at__lt=timezone.now() - STALE)
    for bundle_id in stale.values_list("pk", flat=True)[:100]:
        with transaction.atomic():
            bundle = EvidenceBundle.objects.select_for_update().get(pk=bundle_id)
            if bundle.state != BundleState.BUILDING or bundle.heartbeat_at >= timezone.now() - STALE:
                continue
            if bundle.attempts >= MAX_ATTEMPTS:
                bundle.state, bundle.error = BundleState.FAILED, _("The worker building it stopped %(n)s times.") % {
                    "n": bundle.attempts}
                bundle.finished_at = timezone.now()
                bundle.save(update_fields=["state", "error", "finished_at"])
                continue
            bundle.state = BundleState.QUEUED
            bundle.save(update_fields=["state"])
            outbox_enqueue(TOPIC, {"bundle": bundle.pk})
            resumed += 1
    return resumed


@transaction.atomic
def bundle_download(*, actor, bundle: EvidenceBundle):
    """Open a ready bundle's ZIP for `actor` and put the download on the trail (what the auditor
    exported). Side effects: a trail entry `evidence_downloaded`. Returns an open binary file."""
    require(actor, AUDIT_READERS, reading=True)
    if bundle.state != BundleState.READY:
        raise BundleNotReady(_("The bundle is %(state)s, not ready.") % {"state": bundle.get_state_display()})
    try:  # opened before the entry: a bundle whose file is gone is not "downloaded"
        stream = bundle_path(bundle).open("rb")
    except FileNotFoundError as exc:
        raise BundleNotReady(_("The bundle's file is missing from EVIDENCE_DIR.")) from exc
    write(AuditFact("evidence_downloaded", record=bundle, actor=actor, label=f"EVB{bundle.pk}",
                    changes={"sha256": bundle.sha256, "size": bundle.size}))
    return stream
