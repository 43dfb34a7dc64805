"""A canary credential never shows up in the database, a page, a log line, a dump or an error."""

from __future__ import annotations

import io
import logging

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from accounts.models import User
from carts.models import CartConnection
from integration_manager.redaction import RedactingFilter, redact
from tests.base import BaseTestCase
from tests.test_url_walk import EveryUrlMixin
from wms.models import WmsConnection

CANARY = "CANARY-sk_live_8d1f0c2e9b7a4"


class SecretsTests(EveryUrlMixin, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.cart = CartConnection.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            connector_key="sandbox",
            label="Bob's store",
            order_source="Bob's store",
            reference_prefix="B1-",
            credentials={"api_key": "visible-id", "api_secret": CANARY},
        )
        self.wms = WmsConnection.objects.create(
            account=self.alices_account,
            connector_key="sandbox",
            label="Warehouse",
            credentials={"password": CANARY},
        )

    def raw_column(self, model: type, pk: int) -> str:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT credentials FROM {model._meta.db_table} WHERE id = %s", [pk])  # noqa: S608
            return cursor.fetchone()[0]

    def test_it_stores_ciphertext_and_reads_the_secret_back(self) -> None:
        self.assertNotIn(CANARY, self.raw_column(CartConnection, self.cart.id))
        self.assertNotIn("api_secret", self.raw_column(CartConnection, self.cart.id))
        self.assertEqual(
            CartConnection.objects.get(id=self.cart.id).credentials["api_secret"], CANARY
        )

    def test_repr_and_str_hide_the_values(self) -> None:
        credentials = CartConnection.objects.get(id=self.cart.id).credentials
        self.assertNotIn(CANARY, repr(credentials))
        self.assertNotIn(CANARY, str(credentials))
        self.assertNotIn(CANARY, f"{credentials!r} {[credentials]}")
        self.assertIn("api_secret=***", repr(credentials))

    def test_log_lines_and_tracebacks_are_redacted(self) -> None:
        # Decrypting registers the secret with the redaction filter.
        self.assertEqual(
            CartConnection.objects.get(id=self.cart.id).credentials["api_secret"], CANARY
        )
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.addFilter(RedactingFilter())
        logger = logging.getLogger("tests.canary")
        logger.addHandler(handler)
        try:
            logger.warning("calling the cart with %s", CANARY)
            try:
                raise RuntimeError(f"refused {CANARY}")
            except RuntimeError:
                logger.exception("it failed")
            logger.warning("GET https://shop.example/orders?consumer_secret=cs_abcdef123&page=2")
            logger.warning("headers {'X-Shopify-Access-Token': 'shpat_0123456789'}")
        finally:
            logger.removeHandler(handler)
        output = stream.getvalue()
        self.assertNotIn(CANARY, output)
        self.assertNotIn("cs_abcdef123", output)
        self.assertNotIn("shpat_0123456789", output)
        self.assertIn("[redacted]", output)
        self.assertIn("page=2", output)  # only the secret goes

    def test_every_log_handler_redacts(self) -> None:
        for name, handler in settings.LOGGING["handlers"].items():
            self.assertIn("redact", handler.get("filters", []), name)

    def test_redact_removes_url_userinfo_and_authorization(self) -> None:
        text = redact("https://user:hunter2pass@host/x Authorization: Basic dXNlcjpwYXNz")
        self.assertNotIn("hunter2pass", text)
        self.assertNotIn("dXNlcjpwYXNz", text)

    def test_no_page_shows_the_canary(self) -> None:
        self.create_objects_for_every_url()
        for saved in (self.bobs_cart, WmsConnection.objects.get(account=self.alices_account)):
            saved.credentials = {"api_key": CANARY}
            saved.save()
        self.client.force_login(self.alice)
        names = ("dashboard", "merchant_list", "user_list", "account_settings", "cart_list",
                 "order_list", "job_run_list", "alert_list", "wms_setup")  # fmt: skip
        pages = [reverse(name) for name in names]
        pages += self.url_for_every_pattern(self.alice_objects)
        self.assertIn(reverse("cart_edit", args=[self.bobs_cart.id]), pages)
        for url in pages:
            response = self.client.get(url)
            self.assertIn(response.status_code, (200, 302, 405), url)
            # Exports stream: their rows are read here the way a browser would.
            body = b"".join(response.streaming_content) if response.streaming else response.content
            self.assertNotIn(CANARY, body.decode(), url)

    def test_the_admin_does_not_show_credentials(self) -> None:
        User.objects.create_superuser(email="root@example.org", password="x")
        self.client.login(email="root@example.org", password="x")
        for url in (
            reverse("admin:carts_cartconnection_change", args=[self.cart.id]),
            reverse("admin:wms_wmsconnection_change", args=[self.wms.id]),
        ):
            response = self.client.get(url)
            self.assertEqual(response.status_code, 200)
            self.assertNotContains(response, CANARY)

    def test_dumpdata_writes_ciphertext(self) -> None:
        out = io.StringIO()
        call_command("dumpdata", "carts", "wms", stdout=out)
        self.assertNotIn(CANARY, out.getvalue())
        self.assertIn('"credentials"', out.getvalue())

    def test_keys_rotate(self) -> None:
        old_key = settings.FIELD_ENCRYPTION_KEYS[0]
        new_key = Fernet.generate_key().decode()
        with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, old_key]):
            call_command("encryption_rotate", stdout=io.StringIO())
        with override_settings(FIELD_ENCRYPTION_KEYS=[new_key]):
            self.assertEqual(
                CartConnection.objects.get(id=self.cart.id).credentials["api_secret"], CANARY
            )
            self.assertEqual(
                WmsConnection.objects.get(id=self.wms.id).credentials["password"], CANARY
            )

    def test_a_wrong_key_says_so_without_the_secret(self) -> None:
        wrong_key = [Fernet.generate_key().decode()]
        with (
            override_settings(FIELD_ENCRYPTION_KEYS=wrong_key),
            self.assertRaises(ImproperlyConfigured) as caught,
        ):
            CartConnection.objects.get(id=self.cart.id)
        self.assertIn("cannot be decrypted", str(caught.exception))
        self.assertNotIn(CANARY, str(caught.exception))
