"""Signing in, the profile, API tokens and keyboard use, in a real headless Chromium."""

from __future__ import annotations

import re

import httpx
import pytest

from steward.accounts.models import ApiToken
from steward.accounts.tests.factories import PASSWORD, make_person

pytestmark = pytest.mark.browser


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/")
    assert re.search(r"/accounts/login/\?next=/$", page.url)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(re.compile(r"/$"))


def test_sign_in_create_a_token_and_sign_out(page, live_server, settings):
    settings.STEWARD = {**settings.STEWARD, "PORTAL_FOR_REQUESTERS": False}  # see servicedesk
    # given a person with a password
    person = make_person(full_name="Ann Example", email="ann@example.test")
    # when she signs in with her e-mail in another case
    sign_in(page, "ANN@example.test")
    # then she reaches the home page, styled by the static CSS
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome, Ann"
    css = httpx.get(f"{live_server.url}/static/core/steward.css")
    assert css.status_code == 200
    assert ".skip-link" in css.text
    skip_left = page.locator(".skip-link").evaluate("el => getComputedStyle(el).left")
    assert skip_left == "-9999px"
    # when she opens her profile, then her API tokens, and creates one
    page.get_by_test_id("profile-link").click()
    page.wait_for_url(re.compile(r"/accounts/profile/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Your profile"
    page.get_by_test_id("tokens-link").click()
    page.wait_for_url(re.compile(r"/accounts/profile/tokens/$"))
    page.get_by_label("Name").fill("monitoring")
    page.get_by_label("Expires in (days)").fill("7")
    page.get_by_test_id("create-token").click()
    # then the token is shown, once
    secret = page.get_by_test_id("new-token").inner_text().strip()
    assert re.fullmatch(r"stw_[0-9a-f]{12}_[A-Za-z0-9_\-]+", secret)
    token = ApiToken.objects.get(person=person)
    assert token.name == "monitoring"
    assert secret not in token.digest
    page.goto("/accounts/profile/tokens/")
    assert page.get_by_test_id("new-token").count() == 0
    assert secret not in page.content()
    assert token.prefix in page.content()
    # and it works against the API, as her
    me = httpx.get(
        f"{live_server.url}/api/v1/people/me/", headers={"Authorization": f"Bearer {secret}"}
    )
    assert me.status_code == 200
    assert me.json()["email"] == "ann@example.test"
    token.refresh_from_db()
    assert token.last_used_at is not None
    # when she signs out
    page.get_by_test_id("sign-out").click()
    # then she is back at the sign-in page, and the home page sends her there again
    page.wait_for_url(re.compile(r"/accounts/login/$"))
    assert page.get_by_test_id("sign-in").is_visible()
    page.goto("/")
    assert re.search(r"/accounts/login/\?next=/$", page.url)


def test_wrong_password_is_announced_on_the_form(page):
    person = make_person()
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(person.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_test_id("sign-in").click()
    alert = page.get_by_role("alert")
    assert "do not match an active account" in alert.inner_text()
    assert re.search(r"/accounts/login/$", page.url)


def test_keyboard_reaches_the_skip_link_first_with_visible_focus(page):
    # given a signed-in person on the home page
    person = make_person()
    sign_in(page, person.email)
    # when she presses Tab once
    page.locator("body").focus()
    page.keyboard.press("Tab")
    # then the skip link has the focus, on screen, with a visible outline
    focused = page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            const box = el.getBoundingClientRect();
            return {
                cls: el.className, text: el.textContent.trim(), href: el.getAttribute('href'),
                outlineStyle: style.outlineStyle, outlineWidth: style.outlineWidth,
                left: box.left, top: box.top, width: box.width,
            };
        }"""
    )
    assert focused["cls"] == "skip-link"
    assert focused["text"] == "Skip to content"
    assert focused["href"] == "#main"
    assert focused["outlineStyle"] != "none"
    assert focused["outlineWidth"] != "0px"
    assert focused["left"] >= 0 and focused["top"] >= 0 and focused["width"] > 0
    # when she follows it with Enter
    page.keyboard.press("Enter")
    # then the focus moves to the main content
    assert page.evaluate("() => document.activeElement.id") == "main"
