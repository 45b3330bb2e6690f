#!/usr/bin/env python3
"""Verify an evidence bundle offline: needs only Python 3.11+ and the `cryptography` package.

    python3 verify_evidence.py bundle.zip [--public-key BASE64]

Checks, in order, and reports every problem found:
1. the Ed25519 signature of manifest.json (manifest.sig), with the public key the manifest
   names; give --public-key (as shown on the product's audit page) to require that key: without
   it, a bundle re-signed by someone else with a key of their own would verify too;
2. every file listed in the manifest: present, and its SHA-256 and size as listed; no file in
   the ZIP that the manifest does not list;
3. the audit-trail segment (trail/entries.jsonl): consecutive sequence numbers, each entry's
   prev_hash the hash before it, each hash recomputed from the entry; and each anchor of the
   segment (trail/anchors.jsonl) equal to the hash at its sequence number.

Exit status 0 when the bundle verifies, 1 when it does not, 2 when it cannot be read. The
product's `manage.py verify_evidence` runs this same file.
"""

import argparse
import base64
import binascii
import hashlib
import json
import sys
import zipfile

MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
TRAIL, ANCHORS = "trail/entries.jsonl", "trail/anchors.jsonl"
BUFFER = 1 << 20


def canonical(values: dict) -> bytes:
    """The hash chain's canonical JSON (audits/chain.py): keys sorted, no spaces, UTF-8."""
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: dict, prev_hash: str) -> str:
    digest = hashlib.sha256(prev_hash.encode("ascii") + b"\n")
    digest.update(canonical(entry))
    return digest.hexdigest()


def check_signature(archive: zipfile.ZipFile, manifest_bytes: bytes, manifest: dict, expected_key: str | None):
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key_text = manifest.get("signature", {}).get("public_key", "")
    if expected_key and expected_key.strip() != key_text:
        return [f"signed with key {key_text!r}, not the key given ({expected_key.strip()!r})"]
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(key_text, validate=True))
        key.verify(base64.b64decode(archive.read(SIGNATURE).strip(), validate=True), manifest_bytes)
    except KeyError:
        return [f"{SIGNATURE} is missing"]
    except (InvalidSignature, ValueError, binascii.Error):
        return ["the manifest's signature does not verify: the manifest was changed or signed by another key"]
    return []


def _file_sha256(archive: zipfile.ZipFile, name: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with archive.open(name) as handle:
        for chunk in iter(lambda: handle.read(BUFFER), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def check_files(archive: zipfile.ZipFile, manifest: dict):
    problems = []
    listed = {item["name"]: item for item in manifest.get("files", [])}
    present = set(archive.namelist()) - {MANIFEST, SIGNATURE}
    problems += [f"{name}: in the ZIP but not in the manifest" for name in sorted(present - set(listed))]
    for name, item in listed.items():
        if name not in present:
            problems.append(f"{name}: listed in the manifest but missing")
            continue
        try:
            digest, size = _file_sha256(archive, name)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:  # a changed byte breaks the CRC or inflate
            problems.append(f"{name}: unreadable ({exc})")
            continue
        if digest != item["sha256"] or size != item["size"]:
            problems.append(f"{name}: SHA-256 {digest} differs from the manifest's {item['sha256']}")
    return problems


def _lines(archive: zipfile.ZipFile, name: str):
    with archive.open(name) as handle:
        for raw in handle:
            if raw.strip():
                yield json.loads(raw)


def check_trail(archive: zipfile.ZipFile, manifest: dict):
    """Walk the segment once (memory stays flat), checking the anchors as their entries pass."""
    span = manifest.get("trail") or {}
    if span.get("first_seq") is None:
        return [], 0
    prev, expected_seq, count = None, span["first_seq"], 0
    try:
        anchors = {}
        for anchor in _lines(archive, ANCHORS):
            anchors.setdefault(anchor["seq"], []).append(anchor)
        for line in _lines(archive, TRAIL):
            seq = line["seq"]
            if seq != expected_seq or line["entry"].get("seq") != seq:
                return [f"trail: entry #{expected_seq} expected, found #{seq}: entries removed or reordered"], count
            if prev is not None and line["prev_hash"] != prev:
                return [f"trail: entry #{seq} does not follow the entry before it"], count
            if entry_hash(line["entry"], line["prev_hash"]) != line["hash"]:
                return [f"trail: entry #{seq} was changed after it was sealed"], count
            for anchor in anchors.pop(seq, ()):
                if anchor["hash"] != line["hash"]:
                    return [f"trail: the anchor of {anchor['date']} does not match entry #{seq}"], count
            prev, expected_seq, count = line["hash"], seq + 1, count + 1
        if expected_seq - 1 != span["last_seq"]:
            return [f"trail: ends at #{expected_seq - 1}, the manifest says #{span['last_seq']}"], count
        if anchors:
            return [f"trail: anchors name entries outside the segment: {sorted(anchors)}"], count
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile, OSError, EOFError) as exc:
        return [f"trail: unreadable ({exc})"], count
    return [], count


def verify(path, expected_key: str | None = None) -> tuple[list[str], dict]:
    """The problems found (none: the bundle verifies) and a summary of what was checked."""
    with zipfile.ZipFile(path) as archive:
        manifest_bytes = archive.read(MANIFEST)
        manifest = json.loads(manifest_bytes)
        problems = check_signature(archive, manifest_bytes, manifest, expected_key)
        problems += check_files(archive, manifest)
        trail_problems, entries = check_trail(archive, manifest)
        problems += trail_problems
    summary = {"files": len(manifest.get("files", [])), "trail_entries": entries,
               "public_key": manifest.get("signature", {}).get("public_key", ""),
               "parameters": manifest.get("parameters", {})}
    return problems, summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Verify an evidence bundle offline.")
    parser.add_argument("bundle", help="the bundle's ZIP file")
    parser.add_argument("--public-key", help="the installation's public key (base64), as shown on its audit page")
    args = parser.parse_args(argv)
    try:
        problems, summary = verify(args.bundle, args.public_key)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        print(f"{args.bundle}: cannot be read as an evidence bundle ({exc})", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"FAIL {problem}")
    if problems:
        print(f"{args.bundle}: does NOT verify ({len(problems)} problem(s)).")
        return 1
    print(f"{args.bundle}: verifies. {summary['files']} files, {summary['trail_entries']} trail entries, "
          f"signed by key {summary['public_key']}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
