"""The trail is append-only in the database, chained by the sealer, and the verifier finds each
kind of tampering a rogue database administrator could do with the triggers dropped."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from audits import services
from audits.chain import GENESIS, entry_hash
from audits.models import AuditAnchor, AuditEntry, AuditSeal
from audits.sealing import head, seal
from itsm.services import system_actor
from tests.audits.factories import make_entries, tamper

pytestmark = pytest.mark.django_db


def verify(anchors=()):
    return services.trail_verify(actor=system_actor(), anchors=list(anchors))


@pytest.mark.parametrize("sql", [
    "UPDATE audits_auditentry SET label = 'forged'",
    "DELETE FROM audits_auditentry",
    "UPDATE audits_auditseal SET hash = 'x'",
    "DELETE FROM audits_auditseal",
    "DELETE FROM audits_auditanchor",
])
def test_the_database_refuses_to_change_or_remove_trail_rows(sql):
    make_entries(2)
    seal()
    services.anchor_record()

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)

    assert AuditEntry.objects.filter(label="forged").count() == 0
    assert (AuditEntry.objects.count(), AuditSeal.objects.count(), AuditAnchor.objects.count()) == (2, 2, 1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE exists on PostgreSQL only")
def test_postgresql_refuses_to_truncate_the_trail():
    make_entries(1)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE audits_auditentry")

    assert AuditEntry.objects.count() == 1


def test_sealing_chains_the_entries_in_id_order_and_seals_each_once():
    entries = make_entries(3)

    assert seal() == 3
    assert seal() == 0

    seals = list(AuditSeal.objects.order_by("seq"))
    assert [(s.seq, s.entry_id) for s in seals] == [(1, entries[0].pk), (2, entries[1].pk), (3, entries[2].pk)]
    assert seals[0].prev_hash == GENESIS
    assert [s.prev_hash for s in seals[1:]] == [s.hash for s in seals[:-1]]
    assert seals[2].hash == entry_hash(AuditEntry.objects.get(pk=entries[2].pk), 3, seals[1].hash)


def test_an_entry_committed_after_later_ones_were_sealed_is_sealed_next():
    make_entries(2)
    seal()
    late = make_entries(1)[0]  # as if its transaction had committed after the run

    assert seal() == 1
    assert AuditSeal.objects.get(entry_id=late.pk).seq == 3


def test_an_intact_trail_verifies_and_the_run_is_on_the_trail():
    make_entries(5)
    services.anchor_record()

    result = verify()

    assert (result.ok, result.checked, result.anchors_checked, result.problem) == (True, 5, 1, "")
    assert AuditEntry.objects.filter(action="trail_verified").count() == 1


def test_the_verifier_finds_a_changed_entry():
    entries = make_entries(5)
    seal()
    tamper("UPDATE audits_auditentry SET changes = %s WHERE id = %s", [json.dumps({"n": 99}), entries[2].pk])

    result = verify()

    assert (result.ok, result.broken_seq, result.broken_entry_id) == (False, 3, entries[2].pk)
    assert "changed" in result.problem


def test_the_verifier_finds_a_removed_entry():
    entries = make_entries(5)
    seal()
    tamper("DELETE FROM audits_auditentry WHERE id = %s", [entries[1].pk])

    result = verify()

    assert (result.ok, result.broken_seq, result.broken_entry_id) == (False, 2, entries[1].pk)
    assert "removed" in result.problem


def test_the_verifier_finds_an_entry_removed_with_its_seal():
    entries = make_entries(5)
    seal()
    tamper("DELETE FROM audits_auditseal WHERE entry_id = %s", [entries[3].pk])
    tamper("DELETE FROM audits_auditentry WHERE id = %s", [entries[3].pk])

    result = verify()

    assert (result.ok, result.broken_seq) == (False, 4)
    assert "missing" in result.problem


def test_the_verifier_finds_reordered_entries():
    entries = make_entries(5)
    seal()
    # Swap the places of the 2nd and 3rd entries in the chain.
    tamper("UPDATE audits_auditseal SET seq = -seq WHERE seq IN (2, 3)")
    tamper("UPDATE audits_auditseal SET seq = CASE seq WHEN -2 THEN 3 ELSE 2 END WHERE seq < 0")

    result = verify()

    assert (result.ok, result.broken_seq, result.broken_entry_id) == (False, 2, entries[2].pk)
    assert "reordered" in result.problem


def rewrite_chain_from(seq: int, new_label: str) -> None:
    """What a rogue administrator does to hide a change: alter an entry, then recompute every
    hash from it on, so that the chain is consistent again."""
    target = AuditSeal.objects.get(seq=seq)
    tamper("UPDATE audits_auditentry SET label = %s WHERE id = %s", [new_label, target.entry_id])
    prev = AuditSeal.objects.get(seq=seq - 1).hash if seq > 1 else GENESIS
    for row in AuditSeal.objects.filter(seq__gte=seq).order_by("seq"):
        digest = entry_hash(AuditEntry.objects.get(pk=row.entry_id), row.seq, prev)
        tamper("UPDATE audits_auditseal SET prev_hash = %s, hash = %s WHERE seq = %s", [prev, digest, row.seq])
        prev = digest
    seq_head, digest_head = head()
    tamper("UPDATE audits_auditanchor SET hash = %s WHERE seq = %s", [digest_head, seq_head])


def test_the_verifier_finds_a_rewritten_chain_against_an_anchor_kept_outside(tmp_path, capsys):
    make_entries(4)
    call_command("audit_anchor", "--record")
    kept_outside = tmp_path / "anchors.jsonl"
    kept_outside.write_text(capsys.readouterr().out)
    rewrite_chain_from(2, "nothing to see")

    assert verify().ok  # the database alone, anchors rewritten too, looks intact
    with pytest.raises(CommandError, match="differs from the anchor of .* at entry #4"):
        call_command("verify_audit_trail", "--anchors-file", str(kept_outside))


def test_the_verifier_finds_entries_removed_from_the_end_against_an_anchor():
    make_entries(4)
    services.anchor_record()
    last = AuditSeal.objects.order_by("-seq").first()
    tamper("DELETE FROM audits_auditseal WHERE seq = %s", [last.seq])
    tamper("DELETE FROM audits_auditentry WHERE id = %s", [last.entry_id])

    result = verify()

    assert (result.ok, result.broken_seq) == (False, last.seq)
    assert "removed from its end" in result.problem


def test_the_commands_seal_anchor_and_verify(capsys):
    make_entries(3)

    call_command("seal_audit_trail", "--all")
    call_command("audit_anchor", "--record")
    call_command("verify_audit_trail")

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Sealed 3 entries."
    assert json.loads(out[1]) == {**json.loads(out[1]), "seq": 3, "count": 3}
    assert out[2].startswith("The audit trail is intact: 3 entries and 1 anchors checked.")


def test_a_malformed_anchors_file_is_refused_with_its_line(tmp_path):
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text('{"date": "2026-01-01", "seq": 1, "hash": "ab", "count": 1}\nnot json\n')

    with pytest.raises(CommandError, match="line 2: not an anchor"):
        call_command("verify_audit_trail", "--anchors-file", str(anchors))


def test_the_beat_tasks_seal_and_anchor():
    from audits import tasks

    make_entries(2)

    assert tasks.seal_trail() == 2
    assert tasks.record_anchor()["seq"] == 2


def test_old_sealed_entries_are_archived_to_a_file_that_carries_the_chain(tmp_path, capsys):
    entries = make_entries(3)
    seal()
    output = tmp_path / "archive.jsonl"

    call_command("archive_audit_trail", str(output), "--days", "0")

    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert [line["entry"]["id"] for line in lines] == [e.pk for e in entries]
    assert lines[1]["prev_hash"] == lines[0]["hash"]
    assert AuditEntry.objects.count() == 4  # nothing deleted; the archive itself is on the trail
    assert AuditEntry.objects.filter(action="trail_archived").get().changes["count"] == 3
    with pytest.raises(CommandError, match="exists already"):
        call_command("archive_audit_trail", str(output))
