"""Signed evidence bundles: what an auditor gets in the ZIP, that it verifies offline, and that
one byte changed anywhere makes it fail."""

import json
import struct
import subprocess
import sys
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from audits import bundles
from audits.evidence import keys, offline
from audits.models import AuditEntry, EvidenceBundle
from audits.sealing import seal
from itsm import approvals
from itsm.attachments import attachment_add
from itsm.exceptions import NotPermitted
from itsm.models import OutboxMessage
from tests.assertions import assert_nothing_written
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def evidence_dirs(settings, tmp_path):
    settings.EVIDENCE_KEY_PATH = tmp_path / "key" / "evidence-key.pem"
    settings.EVIDENCE_DIR = tmp_path / "bundles"
    return tmp_path


def period():
    now = timezone.now()
    return now - timedelta(days=1), now + timedelta(days=1)


def built_bundle(actor, **kwargs):
    start, end = period()
    seal(full=True)
    bundle = bundles.bundle_request(actor=actor, period_start=start, period_end=end,
                                    processes=kwargs.pop("processes", ["incidents", "sla-timers"]), **kwargs)
    assert bundles.bundle_build(bundle.pk) == "ready"
    bundle.refresh_from_db()
    return bundle


def test_a_bundle_holds_the_incidents_their_history_journal_and_the_trail_segment(auditor, agent):
    incident = make_incident(agent, short_description="Printer on fire")

    bundle = built_bundle(auditor)

    assert (bundle.state, bundle.progress) == ("ready", 100)
    with zipfile.ZipFile(bundles.bundle_path(bundle)) as archive:
        names = set(archive.namelist())
        records = [json.loads(line) for line in archive.read("incidents/records.jsonl").splitlines()]
        history = [json.loads(line) for line in archive.read("incidents/history.jsonl").splitlines()]
        trail = [json.loads(line) for line in archive.read("trail/entries.jsonl").splitlines()]
        manifest = json.loads(archive.read("manifest.json"))
    assert [(r["number"], r["short_description"]) for r in records] == [(incident.number, "Printer on fire")]
    assert [h["history_type"] for h in history] == ["+"]
    assert {"incidents/journal.jsonl", "incidents/attachments.jsonl", "sla-timers/records.jsonl",
            "sla-timers/timer-events.jsonl", "manifest.json", "manifest.sig"} <= names
    assert incident.number in {line["entry"]["label"] for line in trail}
    assert {f["name"] for f in manifest["files"]} == names - {"manifest.json", "manifest.sig"}
    assert manifest["parameters"]["processes"] == ["incidents", "sla-timers"]
    assert manifest["signature"]["public_key"] == keys.public_key_text()


def test_a_bundle_holds_the_approvals_of_its_records_with_each_decision(auditor, agent, team_lead):
    incident = make_incident(agent)
    request = approvals.approval_request(actor=agent, record=incident, purpose="authorisation",
                                         groups=[approvals.Approvers("Leads", users=(team_lead,))], excluded=[agent])
    approvals.approval_decide(actor=team_lead, group=request.groups.get(), outcome="approve", comment="Fine by me.")

    bundle = built_bundle(auditor)

    with zipfile.ZipFile(bundles.bundle_path(bundle)) as archive:
        rows = {name: [json.loads(line) for line in archive.read(f"incidents/{name}.jsonl").splitlines()]
                for name in ("approvals", "approval_groups", "approval_decisions")}
    assert [(r["object_id"], r["purpose"], r["state"]) for r in rows["approvals"]] == [
        (incident.pk, "authorisation", "approved")]
    assert [g["approvers"] for g in rows["approval_groups"]] == [[team_lead.pk]]
    assert [(d["approver_id"], d["outcome"], d["comment"]) for d in rows["approval_decisions"]] == [
        (team_lead.pk, "approve", "Fine by me.")]


def test_a_bundle_verifies_offline_with_the_script_and_the_command(auditor, agent, capsys):
    make_incident(agent)
    bundle = built_bundle(auditor)
    path = bundles.bundle_path(bundle)

    script = subprocess.run([sys.executable, "scripts/verify_evidence.py", str(path),
                             "--public-key", keys.public_key_text()], capture_output=True, text=True)
    call_command("verify_evidence", str(path))

    assert script.returncode == 0, script.stdout + script.stderr
    assert "verifies" in script.stdout
    assert "verifies" in capsys.readouterr().out


def _altered(path, tmp_path, name, offset):
    """A copy of the bundle with one byte of `name` changed (rewritten so the ZIP stays readable)."""
    altered = tmp_path / f"altered-{name.replace('/', '-')}.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(altered, "w") as target:
        for info in source.infolist():
            data = bytearray(source.read(info.filename))
            if info.filename == name:
                data[offset % len(data)] ^= 0x01
            target.writestr(info, bytes(data))
    return altered


@pytest.mark.parametrize("name", ["manifest.json", "incidents/records.jsonl", "incidents/history.jsonl",
                                  "trail/entries.jsonl", "manifest.sig"])
def test_one_byte_changed_in_any_file_fails_verification(auditor, agent, evidence_dirs, name):
    make_incident(agent)
    path = bundles.bundle_path(built_bundle(auditor))

    problems, _ = offline.verify(_altered(path, evidence_dirs, name, 40))

    assert problems, f"a changed byte in {name} went unnoticed"
    with pytest.raises(CommandError):
        call_command("verify_evidence", str(_altered(path, evidence_dirs, name, 40)))


@pytest.mark.parametrize("name", ["incidents/records.jsonl", "manifest.json", "trail/entries.jsonl"])
def test_one_raw_byte_changed_in_a_files_stored_bytes_fails_verification(auditor, agent, evidence_dirs, name):
    """The ZIP edited in place (not rewritten): one byte of the file's compressed data."""
    make_incident(agent)
    path = bundles.bundle_path(built_bundle(auditor))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
    start = info.header_offset + 30 + name_length + extra_length
    data[start + info.compress_size // 2] ^= 0x01
    altered = evidence_dirs / "raw.zip"
    altered.write_bytes(bytes(data))

    result = subprocess.run([sys.executable, "scripts/verify_evidence.py", str(altered)], capture_output=True,
                            text=True)

    assert result.returncode != 0, result.stdout


def test_a_bundle_resigned_by_another_key_fails_against_the_installations_key(auditor, agent, evidence_dirs,
                                                                              settings):
    make_incident(agent)
    mine = keys.public_key_text()
    settings.EVIDENCE_KEY_PATH = evidence_dirs / "rogue.pem"  # someone else's key signs this one
    path = bundles.bundle_path(built_bundle(auditor))

    problems, _ = offline.verify(path, mine)

    assert problems and "not the key given" in problems[0]


def test_the_key_is_made_once_with_owner_only_permissions(evidence_dirs):
    first = keys.public_key_text()

    assert keys.public_key_text() == first
    assert (evidence_dirs / "key" / "evidence-key.pem").stat().st_mode & 0o777 == 0o600


def test_a_request_is_queued_through_the_outbox_and_recorded_in_the_trail(auditor):
    start, end = period()

    bundle = bundles.bundle_request(actor=auditor, period_start=start, period_end=end, processes=["incidents"])

    assert bundle.state == "queued"
    assert OutboxMessage.objects.get(topic="evidence-bundle").payload == {"bundle": bundle.pk}
    entry = AuditEntry.objects.get(action="evidence_requested")
    assert (entry.username, entry.changes["processes"]) == ("auditor", ["incidents"])


def test_a_bad_request_is_refused_with_field_messages_and_writes_nothing(auditor):
    start, end = period()
    with assert_nothing_written(), pytest.raises(ValidationError) as refused:
        bundles.bundle_request(actor=auditor, period_start=end, period_end=start, processes=["horses"])
    assert set(refused.value.message_dict) == {"processes", "period_end"}


def test_agents_may_not_ask_for_bundles(agent):
    start, end = period()
    with assert_nothing_written(), pytest.raises(NotPermitted):
        bundles.bundle_request(actor=agent, period_start=start, period_end=end, processes=["incidents"])


def test_building_twice_builds_once(auditor):
    bundle = built_bundle(auditor)

    assert bundles.bundle_build(bundle.pk) == "skipped"
    assert AuditEntry.objects.filter(action="evidence_built").count() == 1


def test_a_bundle_lost_with_its_worker_is_queued_again_then_failed(auditor):
    start, end = period()
    bundle = bundles.bundle_request(actor=auditor, period_start=start, period_end=end, processes=["incidents"])
    lost = timezone.now() - timedelta(hours=1)
    EvidenceBundle.objects.filter(pk=bundle.pk).update(state="building", heartbeat_at=lost, attempts=1)

    assert bundles.bundles_resume() == 1
    bundle.refresh_from_db()
    assert bundle.state == "queued"
    assert OutboxMessage.objects.filter(topic="evidence-bundle").count() == 2

    EvidenceBundle.objects.filter(pk=bundle.pk).update(state="building", heartbeat_at=lost, attempts=3)
    bundles.bundles_resume()
    bundle.refresh_from_db()
    assert bundle.state == "failed"


def test_a_download_is_recorded_in_the_trail(auditor):
    bundle = built_bundle(auditor)

    with bundles.bundle_download(actor=auditor, bundle=bundle) as stream:
        assert stream.read(2) == b"PK"

    assert AuditEntry.objects.filter(action="evidence_downloaded", username="auditor").count() == 1


def test_attached_files_are_included_when_asked(auditor, agent):
    incident = make_incident(agent)
    attachment_add(actor=agent, record=incident, upload=SimpleUploadedFile("log.txt", b"log line"))

    bundle = built_bundle(auditor, processes=["incidents"], include_files=True)

    with zipfile.ZipFile(bundles.bundle_path(bundle)) as archive:
        files = [name for name in archive.namelist() if name.startswith("incidents/files/")]
        assert [archive.read(name) for name in files] == [b"log line"]
