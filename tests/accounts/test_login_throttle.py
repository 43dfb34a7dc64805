"""Failed logins lock out an account and an address; admins unlock; reset and sign-up count."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse

from accounts.models import User
from accounts.throttle import REQUEST_LIMITS, request_throttle
from tests.base import PASSWORD, BaseTestCase

LIMIT = settings.AXES_FAILURE_LIMIT
ADDRESS_LIMIT = settings.LOGIN_ADDRESS_FAILURE_LIMIT


class LoginLockoutTests(BaseTestCase):
    def log_in(self, email: str, password: str, address: str = "192.0.2.10", **extra: str):
        return self.client.post(
            reverse("login"),
            {"username": email, "password": password},
            REMOTE_ADDR=address,
            **extra,
        )

    def fail_logins(self, email: str, times: int = LIMIT, address: str = "192.0.2.10") -> None:
        for _ in range(times):
            self.log_in(email, "wrong password", address)

    def assertLockedOut(self, response) -> None:
        for text in [
            "Too many failed attempts",
            "Try again in 15 minutes",
            "ask an administrator of your account to unlock it",
        ]:
            self.assertContains(response, text, status_code=429)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_it_locks_an_account_out_at_the_failure_limit(self) -> None:
        self.fail_logins("alice@example.org", LIMIT - 2)
        self.assertContains(self.log_in("alice@example.org", "wrong"), "do not match")
        # The failure that reaches the limit says so at once.
        self.assertLockedOut(self.log_in("alice@example.org", "wrong"))
        # Now even the right password is refused, from anywhere.
        self.assertLockedOut(self.log_in("alice@example.org", PASSWORD, "198.51.100.7"))
        # Others still log in.
        self.assertRedirects(
            self.log_in("bob@example.org", PASSWORD, "198.51.100.7"),
            reverse("dashboard"),
            fetch_redirect_response=False,
        )

    def test_it_counts_the_email_however_it_is_typed(self) -> None:
        for email in ["alice@example.org", "Alice@Example.org", " ALICE@example.org"]:
            self.fail_logins(email, 2, address="198.51.100.1")
        self.assertLockedOut(self.log_in("alice@example.org", PASSWORD, "198.51.100.99"))

    def test_it_locks_an_address_out_whatever_account_it_tries(self) -> None:
        for number in range(ADDRESS_LIMIT - 1):
            self.fail_logins(f"guess{number}@example.org", 1, address="203.0.113.9")
        # Colleagues behind the same router still log in after a few people's typos...
        self.assertEqual(self.log_in("bob@example.org", PASSWORD, "203.0.113.9").status_code, 302)
        self.client.logout()
        # ...but not once the address reaches its own limit.
        self.fail_logins("guess-last@example.org", 1, address="203.0.113.9")
        self.assertLockedOut(self.log_in("bob@example.org", PASSWORD, "203.0.113.9"))
        self.assertEqual(self.log_in("bob@example.org", PASSWORD, "203.0.113.10").status_code, 302)

    @override_settings(PROXY_COUNT=1)
    def test_behind_a_proxy_it_counts_the_address_the_proxy_saw(self) -> None:
        # The client writes what it likes on the left of X-Forwarded-For; our proxy appends
        # the address it saw, and only that one counts.
        for number in range(ADDRESS_LIMIT):
            self.log_in(
                f"guess{number}@example.org",
                "wrong",
                "10.0.0.2",
                HTTP_X_FORWARDED_FOR=f"192.0.2.{number}, 203.0.113.9",
            )
        locked = self.log_in(
            "bob@example.org", PASSWORD, "10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.9"
        )
        self.assertLockedOut(locked)
        other = self.log_in(
            "bob@example.org", PASSWORD, "10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.10"
        )
        self.assertEqual(other.status_code, 302)

    def test_the_admin_login_is_locked_too(self) -> None:
        User.objects.create_superuser(email="root@example.org", password=PASSWORD)
        url = reverse("admin:login")
        for _ in range(LIMIT):
            self.client.post(url, {"username": "root@example.org", "password": "wrong"})
        response = self.client.post(url, {"username": "root@example.org", "password": PASSWORD})
        self.assertLockedOut(response)

    def test_the_lock_ends_after_the_cool_off(self) -> None:
        self.fail_logins("alice@example.org")
        self.assertLockedOut(self.log_in("alice@example.org", PASSWORD))
        AccessAttempt.objects.update(
            attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
        )
        self.assertEqual(self.log_in("alice@example.org", PASSWORD).status_code, 302)

    def test_an_admin_sees_and_unlocks_a_locked_member(self) -> None:
        self.fail_logins("bob@example.org")
        self.client.force_login(self.alice)
        page = self.client.get(reverse("user_list"))
        self.assertContains(page, "Locked out", count=1)
        unlock = reverse("membership_unlock", args=[self.bob_membership.id])
        self.assertContains(page, f'action="{unlock}"')
        response = self.client.post(unlock, follow=True)
        self.assertContains(response, "bob@example.org can log in again.")
        self.assertNotContains(response, "Locked out")
        self.client.logout()
        self.assertEqual(self.log_in("bob@example.org", PASSWORD, "198.51.100.7").status_code, 302)

    def test_it_checks_ownership(self) -> None:
        self.fail_logins("bob@example.org")
        unlock = reverse("membership_unlock", args=[self.bob_membership.id])
        self.client.force_login(self.charlie)
        self.assertEqual(self.client.post(unlock).status_code, 404)
        self.client.force_login(self.bob)  # a merchant user manages no users
        self.assertEqual(self.client.post(unlock).status_code, 403)
        self.client.logout()
        self.assertLockedOut(self.log_in("bob@example.org", PASSWORD))

    def test_a_superuser_unlocks_in_the_django_admin(self) -> None:
        self.fail_logins("bob@example.org")
        root = User.objects.create_superuser(email="root@example.org", password=PASSWORD)
        self.client.force_login(root)
        response = self.client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "unlock_login", "_selected_action": [self.bob.id]},
            follow=True,
        )
        self.assertContains(response, "1 user(s) can log in again.")
        self.client.logout()
        self.assertEqual(self.log_in("bob@example.org", PASSWORD, "198.51.100.7").status_code, 302)

    def test_a_new_password_from_the_emailed_link_unlocks(self) -> None:
        self.fail_logins("alice@example.org")
        self.client.post(reverse("password_reset"), {"email": "alice@example.org"})
        link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
        form_page = self.client.get(urlsplit(link).path, follow=True)
        self.client.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": "a-brand-new-pass-9", "new_password2": "a-brand-new-pass-9"},
        )
        response = self.log_in("alice@example.org", "a-brand-new-pass-9", "198.51.100.7")
        self.assertEqual(response.status_code, 302)


class PasswordResetThrottleTests(BaseTestCase):
    def request_reset(self, email: str, address: str = "192.0.2.10"):
        return self.client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)

    def test_it_refuses_a_sixth_request_for_one_email_within_the_hour(self) -> None:
        for number in range(REQUEST_LIMITS["email"]):
            response = self.request_reset("alice@example.org", f"192.0.2.{number}")
            self.assertRedirects(response, reverse("password_reset_done"))
        response = self.request_reset("ALICE@example.org", "192.0.2.99")
        self.assertContains(response, "Too many requests", status_code=429)
        self.assertContains(response, "Try again in", status_code=429)
        self.assertEqual(len(mail.outbox), REQUEST_LIMITS["email"])

    def test_it_refuses_too_many_requests_from_one_address(self) -> None:
        for number in range(REQUEST_LIMITS["address"]):
            self.request_reset(f"someone{number}@example.org", "203.0.113.9")
        self.assertEqual(self.request_reset("alice@example.org", "203.0.113.9").status_code, 429)
        self.assertEqual(mail.outbox, [])
        # Another address is not held up.
        self.assertEqual(self.request_reset("alice@example.org", "203.0.113.10").status_code, 302)
        self.assertEqual(len(mail.outbox), 1)


class RequestThrottleRedisTests(BaseTestCase):
    """The counter on Redis, as production runs it: every web process counts together."""

    def test_it_counts_on_redis(self) -> None:
        redis = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.CELERY_BROKER_URL,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",  # its keys expire within the hour
        }
        with override_settings(CACHES={"default": redis}):
            self.assertEqual(
                caches["default"].__class__.__name__, "RedisCache"
            )  # so the counts below are Redis'
            results = [
                request_throttle(action="test", address="192.0.2.1", email="a@example.org")
                for _ in range(REQUEST_LIMITS["email"] + 1)
            ]
        self.assertEqual(results[:-1], [None] * REQUEST_LIMITS["email"])
        self.assertIsInstance(results[-1], int)
        self.assertTrue(1 <= results[-1] <= 60)

    def test_without_redis_requests_are_let_through(self) -> None:
        # Password resets keep working during a Redis outage; the miss is logged.
        unreachable = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
        with (
            override_settings(CACHES={"default": unreachable}),
            self.assertLogs("accounts.throttle", "WARNING"),
        ):
            result = request_throttle(action="test", address="192.0.2.1", email="a@example.org")
        self.assertIsNone(result)
