"""Building one bundle: the ZIP written part by part into EVIDENCE_DIR, then the manifest
(every file's SHA-256 and size, the bundle's parameters, the trail segment's bounds) and its
Ed25519 signature. Progress goes to the bundle's row about once a second."""

import base64
import hashlib
import json
import time
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Subquery
from django.utils import timezone

from itsm import evidence
from itsm.evidence import Period, Scope

from ..models import EvidenceBundle
from . import keys
from .export import Part, attachments, record_parts, sla_report_parts, trail_parts
from .zipwriter import Encoder, ZipWriter, file_sha256

FORMAT = "itsm-evidence-bundle/1"
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
PROGRESS_EVERY = 1.0  # seconds between two progress writes
SLA_SOURCE = "sla-timers"


def bundle_path(bundle: EvidenceBundle) -> Path:
    return Path(settings.EVIDENCE_DIR) / f"evidence-bundle-{bundle.pk}.zip"


def period_of(bundle: EvidenceBundle) -> Period:
    return Period(bundle.period_start, bundle.period_end)


def scope_of(bundle: EvidenceBundle) -> Scope:
    return Scope(customers=tuple(bundle.customers), services=tuple(bundle.services))


class Progress:
    """Counts rows written against the rows expected and writes the percentage (never 100
    before the end) and the step, at most once per PROGRESS_EVERY."""

    def __init__(self, bundle_id: int, total: int):
        self.bundle_id, self.total, self.done, self.step = bundle_id, max(total, 1), 0, ""
        self.written_at = 0.0

    def row(self) -> None:
        self.done += 1
        if self.done % 500 == 0 and time.monotonic() - self.written_at >= PROGRESS_EVERY:
            self.save()

    def at(self, step: str) -> None:
        self.step = step
        self.save()

    def save(self) -> None:
        self.written_at = time.monotonic()
        percent = min(99, self.done * 100 // self.total)
        EvidenceBundle.objects.filter(pk=self.bundle_id).update(
            progress=percent, step=self.step[:200], heartbeat_at=timezone.now())


def plan(bundle: EvidenceBundle) -> tuple[list[Part], dict]:
    period, scope = period_of(bundle), scope_of(bundle)
    parts: list[Part] = []
    for source in evidence.sources():
        if source.key in bundle.processes:
            parts.extend(record_parts(source, period, scope))
    if SLA_SOURCE in bundle.processes:
        parts.extend(sla_report_parts(period, scope))
    trail, span = trail_parts(period)
    return parts + trail, span


def build(bundle: EvidenceBundle) -> dict:
    """Write the bundle's ZIP (under a temporary name, renamed when whole) and return what the
    bundle row records: file name, size, SHA-256s, key fingerprint, file count."""
    parts, span = plan(bundle)
    progress = Progress(bundle.pk, sum(part.count() for part in parts if part.count))
    final = bundle_path(bundle)
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_suffix(".zip.part")
    writer = ZipWriter(partial, on_row=progress.row)
    try:
        for part in parts:
            progress.at(part.name)
            if part.whole:
                writer.write_json(part.name, part.rows())
            else:
                writer.write_rows(part.name, part.rows())
        if bundle.include_files:
            _copy_files(writer, bundle, progress)
        manifest = _manifest(bundle, writer.files, span)
        key = keys.private_key()
        writer.write_unlisted(MANIFEST, manifest)
        writer.write_unlisted(SIGNATURE, base64.b64encode(key.sign(manifest)) + b"\n")
    finally:
        writer.close()
    partial.replace(final)
    return {"file_name": final.name, "size": final.stat().st_size, "sha256": file_sha256(final),
            "manifest_sha256": hashlib.sha256(manifest).hexdigest(), "key_fingerprint": keys.fingerprint(key),
            "files": len(writer.files)}


def _copy_files(writer: ZipWriter, bundle: EvidenceBundle, progress: Progress) -> None:
    """The attached files themselves, each streamed from storage, named by attachment id."""
    period, scope = period_of(bundle), scope_of(bundle)
    for source in evidence.sources():
        if source.key not in bundle.processes:
            continue
        records = source.records(period, scope)
        rows = attachments(ContentType.objects.get_for_model(records.model),
                           Subquery(records.order_by().values("pk")))
        progress.at(f"{source.key}/files")
        for attachment in rows.iterator(chunk_size=200):
            with attachment.file.open("rb") as stream:
                writer.write_stream(f"{source.key}/files/{attachment.pk}-{attachment.sha256}", stream)


def _manifest(bundle: EvidenceBundle, files: list[dict], span: dict) -> bytes:
    document = {
        "format": FORMAT,
        "bundle": bundle.pk,
        "created_at": timezone.now(),
        "parameters": {
            "period_start": bundle.period_start, "period_end": bundle.period_end,
            "processes": bundle.processes, "customers": bundle.customers, "services": bundle.services,
            "include_files": bundle.include_files,
            "requested_by": bundle.requested_by.get_username(), "requested_at": bundle.requested_at,
        },
        "signature": {"algorithm": "Ed25519", "public_key": keys.public_key_text(),
                      "public_key_sha256": keys.fingerprint(), "file": SIGNATURE},
        "trail": span,
        "files": files,
    }
    return json.dumps(document, cls=Encoder, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
