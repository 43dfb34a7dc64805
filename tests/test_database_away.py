"""A request that meets PostgreSQL away (a restart, a failover) is answered 503 with
Retry-After: a cart retries its webhook, a person sees a page that says to wait. Any other
error keeps Django's 500 page."""

from __future__ import annotations

from unittest import mock

from django.db import OperationalError
from django.test import Client, override_settings
from django.urls import reverse

from tests.base import BaseTestCase
from tests.objects import create_cart

AWAY = OperationalError("server closed the connection unexpectedly")


@override_settings(DEBUG=False)
class DatabaseAwayTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.client = Client(raise_request_exception=False)

    def test_a_cart_webhook_is_told_to_retry(self) -> None:
        cart = create_cart(self.bobs_merchant, prefix="DA-")
        with mock.patch("carts.webhooks.get_object_or_404", side_effect=AWAY):
            response = self.client.post(
                reverse("cart_webhook", args=[cart.webhook_token]),
                data="{}",
                content_type="application/json",
            )
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response["Retry-After"], "30")
        self.assertEqual(
            response.content.decode(), "The hub's database is restarting. Try again in a moment."
        )

    def test_a_page_says_to_reload_in_a_moment(self) -> None:
        self.client.force_login(self.alice)
        with mock.patch("accounts.middleware.current_membership", side_effect=AWAY):
            response = self.client.get(reverse("order_list"))
        self.assertEqual(response.status_code, 503)
        self.assertContains(response, "Back in a moment", status_code=503)
        self.assertNotContains(response, "server closed the connection", status_code=503)

    def test_any_other_error_is_still_a_500(self) -> None:
        self.client.force_login(self.alice)
        with mock.patch("accounts.middleware.current_membership", side_effect=KeyError("x")):
            response = self.client.get(reverse("order_list"))
        self.assertEqual(response.status_code, 500)
        self.assertContains(response, "Something went wrong on our side", status_code=500)
