"""The hash chain: what of an entry is hashed, and how.

hash(n) = SHA-256( prev_hash + "\\n" + canonical JSON of {entry's content, seq n} ), with the
genesis hash of 64 zeros before the first entry. Canonical JSON: keys sorted, no spaces, UTF-8,
the instant in UTC ISO 8601 with microseconds. Every column of the entry is covered, so a
change to any of them, a removed entry or two entries swapped breaks the chain from there.
"""

import hashlib
import json
from datetime import UTC

GENESIS = "0" * 64

# The columns hashed, in the order `content` reads them (the keys are sorted anyway).
HASHED_FIELDS = ("id", "occurred_at", "action", "user_id", "username", "token_id", "task",
                 "content_type_id", "object_id", "label", "changes", "address", "user_agent")


def content(entry, seq: int) -> dict:
    """The entry as hashed: plain values read from the database row."""
    values = {name: getattr(entry, name) for name in HASHED_FIELDS}
    values["occurred_at"] = entry.occurred_at.astimezone(UTC).isoformat(timespec="microseconds")
    values["seq"] = seq
    return values


def canonical(values: dict) -> bytes:
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry, seq: int, prev_hash: str) -> str:
    digest = hashlib.sha256(prev_hash.encode("ascii") + b"\n")
    digest.update(canonical(content(entry, seq)))
    return digest.hexdigest()
