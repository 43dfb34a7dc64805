"""Playwright driving Debian's chromium (headless) against a live server on the test database."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.test import LiveServerTestCase
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, expect, sync_playwright

from tests.base import PASSWORD, TenantsMixin

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class BrowserTestCase(TenantsMixin, LiveServerTestCase):
    playwright: Playwright
    browser: Browser

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.browser.close()
        cls.playwright.stop()
        super().tearDownClass()

    def setUp(self) -> None:
        super().setUp()
        self.create_tenants()
        self.context = self.browser.new_context(viewport={"width": 1280, "height": 860})
        self.context.set_default_timeout(10_000)
        self.page: Page = self.context.new_page()
        # Chromium reports what the Content-Security-Policy blocked on the console: an inline
        # script, handler or style that slipped into a template fails the test that shows it.
        self.csp_violations: list[str] = []
        self.page.on("console", self._note_csp_violation)

    def _note_csp_violation(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(f"{self.page.url}: {message.text}")

    def tearDown(self) -> None:
        self.context.close()
        super().tearDown()
        self.assertEqual(self.csp_violations, [], "the page broke its Content-Security-Policy")

    def url(self, path: str) -> str:
        return f"{self.live_server_url}{path}"

    def log_in(self, email: str, password: str = PASSWORD) -> None:
        self.page.goto(self.url("/login/"))
        self.page.get_by_label("E-mail").fill(email)
        self.page.locator("#id_password").fill(password)
        self.page.get_by_role("button", name="Log in").click()
        expect(self.page.get_by_role("heading", name="Dashboard")).to_be_visible()

    def screenshot(self, name: str) -> None:
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
