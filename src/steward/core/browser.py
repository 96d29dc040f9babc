"""Real-browser tests: a headless Chromium driven by Playwright against pytest-django's live server.

The root ``conftest.py`` registers this module as a pytest plugin, so the fixtures exist once
per test session; tests that use them are marked ``@pytest.mark.browser`` and simply ask for
``page`` (and ``live_server``).

``browser`` is one Chromium for the whole test session; ``page`` is a fresh tab in a fresh
context (no cookies) whose relative URLs resolve against the live server. Without Chromium the
tests are skipped, unless ``STEWARD_REQUIRE_BROWSER=1`` (as in CI), where they fail instead.
``STEWARD_CHROMIUM`` points at another Chromium binary.

This module is test tooling: only the test set-up imports it (pytest and Playwright are dev
dependencies).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Milliseconds Playwright waits for a page, a selector or a navigation before failing.
TIMEOUT_MS = 15_000


def chromium_path() -> str | None:
    """The Chromium binary to drive, or ``None`` when there is none."""
    wanted = os.environ.get("STEWARD_CHROMIUM", DEFAULT_CHROMIUM)
    if os.path.isfile(wanted) and os.access(wanted, os.X_OK):
        return wanted
    return shutil.which(wanted)


def _unavailable(reason: str) -> None:
    if os.environ.get("STEWARD_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (STEWARD_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session."""
    executable = chromium_path()
    if executable is None:
        _unavailable("Chromium is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a dev dependency
        _unavailable("Playwright is not installed")
    # Playwright's sync API keeps an event loop in this thread; Django would then refuse the
    # ORM calls the tests make (factories, assertions) as "async-unsafe".
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(
                executable_path=executable, args=CHROMIUM_ARGS, headless=True
            )
            try:
                yield launched
            finally:
                launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Browser, live_server: Any) -> Iterator[Page]:
    """A fresh tab (own cookies) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()
