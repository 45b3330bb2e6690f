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
    # Reduced motion, as a person may ask for it: the stylesheet then opens and closes panels
    # without sliding, so no click lands on something still moving.
    context = chromium.new_context(base_url=live_server.url, locale="en-US", timezone_id="UTC",
                                   reduced_motion="reduce")
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
def sign_in(live_server):
    """`sign_in(page, user)`: the page signed in as `user` (in place of anyone before), on the
    start page, where the sign-in form leads.

    The session is made on the server, as the sign-in form makes it, and its cookie given to
    the browser: two page loads fewer than filling in the form each time. The form itself is
    tested in a browser by tests/itsm/test_browser_sign_in.py."""
    from django.conf import settings
    from django.test import Client

    def sign_in(page, user):
        client = Client()
        client.force_login(user)  # with the backend the form signs in with (the first with get_user)
        page.context.clear_cookies()
        page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                                   "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                                   "httpOnly": True, "sameSite": "Lax"}])
        page.goto("/")

    return sign_in


def submit_and_wait(page, button, timeout: int = 20_000) -> None:
    """Click a form's button and wait for the page it leads to (slow machines take seconds).

    When no page follows, the failure says why, as far as can be seen from here: the button and
    its form as the browser had them, what each thread of this process (the live server's
    included) was doing, and, on PostgreSQL, what each connection of the test database waited
    for."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        with page.expect_navigation(timeout=timeout):
            button.click()
    except PlaywrightTimeout as exc:
        raise AssertionError(f"no page followed the click within {timeout} ms\n{_why_no_page(page, button)}") from exc


def _why_no_page(page, button) -> str:
    import sys
    import threading
    import traceback

    parts = [f"page: {page.url}"]
    try:
        parts.append("button: " + str(button.evaluate(
            "b => ({disabled: b.disabled, shown: !!b.offsetParent, form: b.form && b.form.action,"
            " valid: b.form && b.form.checkValidity(), panel: b.closest('.collapse, .collapsing')?.className})",
            timeout=2_000)))
    except Exception as error:  # noqa: BLE001  a report of what could be seen, never a second failure
        parts.append(f"button: not readable ({error})")
    frames = sys._current_frames()
    for thread in threading.enumerate():
        frame = frames.get(thread.ident)
        if frame is not None and thread is not threading.current_thread():
            parts.append(f"thread {thread.name}:\n" + "".join(traceback.format_stack(frame)[-8:]))
    parts.append(_database_waits())
    return "\n".join(parts)


def _database_waits() -> str:
    from django.db import connection

    if connection.vendor != "postgresql":
        return ""
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, state, wait_event_type, wait_event, pg_blocking_pids(pid), left(query, 200)"
                " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            return "connections:\n" + "\n".join(str(row) for row in cursor.fetchall())
    except Exception as error:  # noqa: BLE001
        return f"connections: not readable ({error})"
