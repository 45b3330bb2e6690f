"""Incident notifications, routed from domain events to the outbox (filled in by the
notifications slice)."""
