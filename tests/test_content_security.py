"""No script from data: templates hold no inline script, and pages send a strict CSP."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.urls import reverse

from tests.base import BaseTestCase

# An opening <script> tag without a src attribute, and an event handler attribute
# (onclick=, onsubmit=...), in any template: both run code the CSP refuses.
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*?\s(on[a-z]+)\s*=", re.IGNORECASE | re.DOTALL)
# A style attribute: style-src 'self' drops it, so the page silently loses the look.
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*?\s(style)\s*=", re.IGNORECASE | re.DOTALL)


def project_template_files() -> list[Path]:
    """Every file under the project's templates/ folders (the top-level one and each app's)."""
    base = Path(settings.BASE_DIR).resolve()
    folders = [Path(folder) for engine in settings.TEMPLATES for folder in engine["DIRS"]]
    folders += [Path(config.path) / "templates" for config in apps.get_app_configs()]
    files = []
    for folder in folders:
        folder = folder.resolve()
        if folder.is_dir() and base in folder.parents and ".venv" not in folder.parts:
            files += [path for path in folder.rglob("*") if path.is_file()]
    return sorted(set(files))


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


class TemplateScriptTests(BaseTestCase):
    def test_the_scan_sees_every_app_and_the_project_templates(self) -> None:
        names = {
            path.relative_to(settings.BASE_DIR).as_posix() for path in project_template_files()
        }
        for expected in [
            "templates/base.html",
            "accounts/templates/accounts/user_list.html",
            "orders/templates/orders/order_list.html",
            "wms/templates/wms/wms_setup.html",
            "carts/templates/carts/cart_detail.html",
        ]:
            self.assertIn(expected, names)

    def test_the_patterns_catch_what_they_are_for(self) -> None:
        self.assertTrue(INLINE_SCRIPT.search("<script>alert(1)</script>"))
        self.assertTrue(INLINE_SCRIPT.search('<SCRIPT type="module">'))
        self.assertFalse(INLINE_SCRIPT.search("<script src=\"{% static 'js/hub.js' %}\">"))
        self.assertTrue(EVENT_HANDLER.search("<form onsubmit=\"return confirm('x')\">"))
        self.assertTrue(EVENT_HANDLER.search('<select class="x"\n  onchange="go()">'))
        self.assertFalse(EVENT_HANDLER.search('<form data-confirm="Remove them?">'))
        self.assertFalse(EVENT_HANDLER.search("<p>Click once=enough</p>"))

    def test_no_template_has_an_inline_script_or_event_handler(self) -> None:
        found = []
        for path in project_template_files():
            text = path.read_text(encoding="utf-8")
            name = path.relative_to(settings.BASE_DIR)
            found += [f"{name}: {match.group(0)}" for match in INLINE_SCRIPT.finditer(text)]
            found += [f"{name}: {match.group(1)}=" for match in EVENT_HANDLER.finditer(text)]
            found += [f"{name}: {match.group(1)}=" for match in STYLE_ATTRIBUTE.finditer(text)]
        self.assertEqual(
            found,
            [],
            "move the behaviour to static/js/hub.js (data-* attributes), the look to hub.css",
        )


class ContentSecurityPolicyTests(BaseTestCase):
    def assertStrictPolicy(self, response) -> None:
        directives = policy(response)
        self.assertEqual(directives["script-src"], ["'self'"])
        self.assertEqual(directives["style-src"], ["'self'"])
        self.assertEqual(directives["object-src"], ["'none'"])
        self.assertEqual(directives["frame-ancestors"], ["'none'"])
        self.assertNotIn("'unsafe-inline'", response["Content-Security-Policy"])
        self.assertNotIn("'unsafe-eval'", response["Content-Security-Policy"])

    def test_pages_carry_a_policy_without_unsafe_inline(self) -> None:
        self.assertStrictPolicy(self.client.get(reverse("login")))
        self.client.force_login(self.alice)
        for name in ["dashboard", "user_list", "order_list"]:
            with self.subTest(page=name):
                response = self.client.get(reverse(name))
                self.assertEqual(response.status_code, 200)
                self.assertStrictPolicy(response)

    def test_the_django_admin_carries_it_too(self) -> None:
        self.assertStrictPolicy(self.client.get(reverse("admin:login")))

    def test_a_member_email_is_data_in_the_page_not_code(self) -> None:
        # The users screen used to build a confirm() call from the address.
        self.bob.email = "x');alert(1);('@example.org"
        self.bob.save()
        self.client.force_login(self.alice)
        page = self.client.get(reverse("user_list")).content.decode()
        self.assertIn('data-confirm="Remove x&#x27;);alert(1);(&#x27;@example.org', page)
        self.assertNotIn("onsubmit", page)
