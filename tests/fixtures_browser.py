"""Playwright fixtures (headless Debian Chromium)."""
