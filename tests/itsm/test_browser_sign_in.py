"""The sign-in form in real headless Chromium. Other browser tests sign in with a session cookie
(tests/fixtures_browser.py: `sign_in`), so this is where the form is used as a person uses it."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_person_signs_in_through_the_form_after_a_wrong_password(page, agent):
    # given the sign-in page, asked for on the way to the team list
    page.goto("/teams/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/teams/$"))

    # when a wrong password is given, then the right one
    page.get_by_label("Username").fill("agent")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("The username or password is not correct.")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # then the person is on the page they asked for, signed in
    expect(page).to_have_url(re.compile(r"/teams/$"))
    expect(page.get_by_role("heading", name="Teams", level=1)).to_be_visible()
