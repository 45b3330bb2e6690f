"""Signed evidence bundles: the installation's key (keys), the ZIP writer (bundle) and what each
record type puts in it (export). Verification offline: scripts/verify_evidence.py."""
