"""Fixtures that start a real Celery worker process."""
