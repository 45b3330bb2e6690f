"""The installation's evidence key: an Ed25519 private key made on first use and kept in a file
outside the database (EVIDENCE_KEY_PATH, owner-only), so that whoever can rewrite the database
still cannot sign a bundle. Its public key is shown on the audit pages for auditors to note."""

import base64
import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings


def _path() -> Path:
    return Path(settings.EVIDENCE_KEY_PATH)


def _create(path: Path) -> None:
    """Write a new key with owner-only permissions; O_EXCL so that two workers making it at
    once keep one (the loser reads the winner's)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def private_key() -> Ed25519PrivateKey:
    path = _path()
    if not path.exists():
        _create(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def raw_public_key(key: Ed25519PrivateKey | None = None) -> bytes:
    key = key or private_key()
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_text(key: Ed25519PrivateKey | None = None) -> str:
    """The public key as auditors note it: base64 of its 32 raw bytes."""
    return base64.b64encode(raw_public_key(key)).decode("ascii")


def fingerprint(key: Ed25519PrivateKey | None = None) -> str:
    """SHA-256 of the raw public key, in hex: short enough to compare by eye."""
    return hashlib.sha256(raw_public_key(key)).hexdigest()


def sign(data: bytes) -> bytes:
    return private_key().sign(data)
