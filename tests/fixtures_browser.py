"""Playwright fixtures (headless Debian Chromium): one browser per session, a context per test.

Mark browser tests `@pytest.mark.browser` and `@pytest.mark.django_db(transaction=True,
serialized_rollback=True)`: the live server reads committed data, and the serialized rollback
puts back what migrations created (the role groups) after each test empties the tables.
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test's thread; Django refuses database calls
# from such a thread unless told that this is safe (it is: the loop never runs Django code).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium(django_db_setup):
    if not CHROMIUM.exists():
        pytest.fail(f"Browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium).")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    serialized = {conn.alias: conn._test_serialized_contents for conn in connections.all()
                  if hasattr(conn, "_test_serialized_contents")}
    with sync_playwright() as playwright:
        # With Playwright's event loop in this thread, Django hands out database connections per
        # async context: new objects, without the data the test database setup serialized for
        # `serialized_rollback`. Give it to them, or the rollback would restore nothing.
        for alias, contents in serialized.items():
            connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    """A fresh page on the live server; the test fails on CSP violations and script errors."""
    context = chromium.new_context(base_url=live_server.url, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = []
    page.on("console", lambda message: message.type == "error" and "Content Security Policy" in message.text
            and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    yield page
    context.close()
    if problems:
        pytest.fail("The browser reported:\n" + "\n".join(problems))


@pytest.fixture
def sign_in():
    """`sign_in(page, user)`: through the real sign-in form, as a person would."""

    from tests.conftest import PASSWORD

    def sign_in(page, user):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return sign_in
