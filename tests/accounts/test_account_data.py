"""The data policy on the settings screen, and an account's export and deletion."""

from __future__ import annotations

import json
from datetime import timedelta

import redis
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.data import account_deletion_run, account_deletions_resend
from accounts.models import Account, Role, User
from accounts.services import invitation_create
from alerts.services import alerts_raise
from api.keys import api_credential_check, api_credential_issue
from api.models import ApiLevel
from carts.connectors.sandbox import SANDBOX_KEY
from jobs.models import JobRun, ServiceSchedule
from jobs.ownership import DELETE_LOCK, run_lock
from orders.jobs import ORDER_DOWNLOAD
from orders.models import Order
from tests.base import BaseTestCase
from tests.objects import create_cart, create_order, create_shipment, create_wms, recorder


def rows_of_account(account_id: int) -> dict[str, int]:
    """How many rows of each table carry this account's id (every account_id column)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND column_name = 'account_id'"
        )
        tables = [table for (table,) in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(
                f'SELECT count(*) FROM "{table}" WHERE account_id = %s',  # noqa: S608
                [account_id],
            )
            counts[table] = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM accounts_account WHERE id = %s", [account_id])
        counts["accounts_account"] = cursor.fetchone()[0]
    return counts


class DataPolicyTests(BaseTestCase):
    def test_it_shows_the_policy_in_plain_words(self) -> None:
        self.client.force_login(self.alice)
        page = self.client.get(reverse("account_settings")).content.decode()
        self.assertIn("<strong>90 days</strong> after an order is", page)
        self.assertIn("Amazon orders, 30 days after they ship", page)
        self.assertIn("failed ones after <strong>180 days</strong>", page)

    def test_an_admin_saves_the_policy(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(
            reverse("account_settings"),
            {
                "save_policy": "1",
                "policy-personal_data_days": "30",
                "policy-job_runs_kept_days": "14",
                "policy-failed_job_runs_kept_days": "365",
            },
        )
        self.assertRedirects(response, reverse("account_settings"))
        account = Account.objects.get(id=self.alices_account.id)
        self.assertEqual(
            (account.personal_data_days, account.job_runs_kept_days),
            (30, 14),
        )
        self.assertEqual(account.failed_job_runs_kept_days, 365)
        self.assertEqual(account.name, "Alice's 3PL")  # the other form was not touched

    def test_personal_data_cannot_be_kept_for_ever(self) -> None:
        self.client.force_login(self.alice)
        for days in ("0", "3651", ""):
            response = self.client.post(
                reverse("account_settings"),
                {
                    "save_policy": "1",
                    "policy-personal_data_days": days,
                    "policy-job_runs_kept_days": "30",
                    "policy-failed_job_runs_kept_days": "180",
                },
            )
            self.assertEqual(response.status_code, 200, days)
        self.assertEqual(Account.objects.get(id=self.alices_account.id).personal_data_days, 90)

    def test_only_an_admin_may_change_it(self) -> None:
        for user in (self.bob, self.create_staff()):
            self.client.force_login(user)
            response = self.client.post(
                reverse("account_settings"),
                {"save_policy": "1", "policy-personal_data_days": "5"},
            )
            self.assertEqual(response.status_code, 403)
        self.assertEqual(Account.objects.get(id=self.alices_account.id).personal_data_days, 90)


class AccountDataTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.wms = create_wms(self.alices_account)
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")
        self.order = create_order(self.cart, notes="Leave it with the neighbour")
        create_shipment(self.order)
        run = recorder(merchant=self.bobs_merchant, service=ORDER_DOWNLOAD, cart=self.cart)
        self.job_run = run.job_run
        alerts_raise(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            kind="cart_failing",
            subject="Bob's store cannot be reached",
            message="Check it.",
        )
        _, self.invitation_token = invitation_create(
            account=self.alices_account,
            email="new.person@example.org",
            role=Role.STAFF,
            merchant=None,
            invited_by=self.alice,
        )
        issued = api_credential_issue(
            account=self.alices_account, level=ApiLevel.WAREHOUSE, name="WMS pull"
        )
        self.api_key, self.credential = issued.api_key, issued.credential
        # charlie's account has data of its own, which no step below may touch.
        charlies_cart = create_cart(self.charlies_merchant, prefix="CC-")
        create_shipment(create_order(charlies_cart, number=2001))
        create_wms(self.charlies_account)

    def export(self) -> list[dict]:  # type: ignore[type-arg]
        self.client.force_login(self.alice)
        response = self.client.get(reverse("account_export"), {"account": self.alices_account.id})
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment", response["Content-Disposition"])
        text = b"".join(response.streaming_content).decode()
        self.export_text = text
        return [json.loads(line) for line in text.splitlines()]

    def test_the_export_holds_every_row_of_the_account(self) -> None:
        records = self.export()
        self.assertEqual(records[0]["export"]["account_id"], self.alices_account.id)
        tables: dict[str, list[dict]] = {}  # type: ignore[type-arg]
        for record in records[1:]:
            tables.setdefault(record["table"], []).append(record["row"])
        self.assertEqual([row["id"] for row in tables["orders.order"]], [self.order.id])
        self.assertEqual(tables["orders.order"][0]["notes"], "Leave it with the neighbour")
        self.assertEqual(len(tables["orders.orderline"]), 1)
        self.assertEqual(len(tables["orders.shipment"]), 1)
        self.assertEqual(len(tables["carts.cartconnection"]), 1)
        self.assertEqual(len(tables["wms.wmsconnection"]), 1)
        self.assertIn(self.job_run.id, [row["id"] for row in tables["jobs.jobrun"]])
        self.assertTrue(tables["jobs.serviceschedule"])
        self.assertEqual(len(tables["alerts.alert"]), 1)
        self.assertEqual(len(tables["accounts.merchant"]), 2)
        self.assertCountEqual(
            [row["user__email"] for row in tables["accounts.membership"]],
            ["alice@example.org", "bob@example.org"],
        )
        self.assertEqual(tables["accounts.account"][0]["name"], "Alice's 3PL")
        for rows in tables.values():
            for row in rows:
                self.assertEqual(
                    row.get("account_id", self.alices_account.id), self.alices_account.id
                )

    def test_the_export_holds_no_secret(self) -> None:
        records = self.export()
        carts = [r["row"] for r in records[1:] if r["table"] == "carts.cartconnection"]
        self.assertNotIn("credentials", carts[0])
        self.assertNotIn("webhook_token", carts[0])
        for secret in (
            SANDBOX_KEY,  # the cart's and the WMS's credentials
            self.cart.webhook_token,
            self.wms.webhook_token,
            self.invitation_token,
            self.api_key,
        ):
            self.assertNotIn(secret, self.export_text)
        self.assertNotIn("Charlie", self.export_text)

    def test_a_wrong_name_deletes_nothing(self) -> None:
        before = rows_of_account(self.alices_account.id)
        self.client.force_login(self.alice)
        response = self.client.post(reverse("account_data"), self.delete_form("alice's 3pl"))
        self.assertContains(response, "That is not the account&#x27;s name")
        self.assertEqual(rows_of_account(self.alices_account.id), before)

    def test_deleting_leaves_no_row_of_the_account_in_any_table(self) -> None:
        charlies_before = rows_of_account(self.charlies_account.id)
        self.assertGreater(sum(rows_of_account(self.alices_account.id).values()), 20)
        self.client.force_login(self.alice)
        response = self.client.post(reverse("account_data"), self.delete_form())
        self.assertRedirects(response, reverse("login"), fetch_redirect_response=False)
        self.assertTrue(account_deletion_run(account_id=self.alices_account.id))
        left = {table: count for table, count in rows_of_account(self.alices_account.id).items()}
        self.assertEqual({table: count for table, count in left.items() if count}, {})
        self.assertEqual(rows_of_account(self.charlies_account.id), charlies_before)
        self.assertTrue(Order.objects.filter(account=self.charlies_account).exists())
        # alice and bob belonged to no other account; charlie is still there.
        self.assertFalse(
            User.objects.filter(email__in=["alice@example.org", "bob@example.org"]).exists()
        )
        self.assertTrue(User.objects.filter(email="charlie@example.org").exists())
        self.assertFalse(JobRun.objects.filter(id=self.job_run.id).exists())
        # alice is logged out.
        self.assertEqual(self.client.get(reverse("dashboard")).status_code, 302)

    def test_a_member_of_another_account_keeps_their_user(self) -> None:
        from accounts.models import Membership

        Membership.objects.create(user=self.bob, account=self.charlies_account, role=Role.STAFF)
        self.client.force_login(self.alice)
        self.client.post(reverse("account_data"), self.delete_form())
        account_deletion_run(account_id=self.alices_account.id)
        self.assertTrue(User.objects.filter(id=self.bob.id).exists())
        self.assertFalse(User.objects.filter(id=self.alice.id).exists())

    def delete_form(self, name: str = "Alice's 3PL") -> dict[str, object]:
        return {"account": self.alices_account.id, "confirm_name": name}

    def test_it_checks_ownership(self) -> None:
        export = f"{reverse('account_export')}?account={self.alices_account.id}"
        self.client.force_login(self.alice)
        for url in (reverse("account_data"), export):
            self.assertEqual(self.client.get(url).status_code, 200)  # so the 404 means something
        for user in (self.bob, self.charlie, self.create_staff()):
            self.client.force_login(user)
            self.assertEqual(self.client.get(export).status_code, 404, user)
            response = self.client.post(reverse("account_data"), self.delete_form())
            self.assertEqual(response.status_code, 404, user)
        self.assertTrue(Account.objects.filter(id=self.alices_account.id).exists())
        self.assertTrue(Account.objects.filter(id=self.charlies_account.id).exists())

    def test_charlie_sees_only_his_own_account_there(self) -> None:
        self.client.force_login(self.charlie)
        page = self.client.get(reverse("account_data")).content.decode()
        self.assertIn("Charlie&#x27;s Fulfillment", page)
        self.assertNotIn("Alice", page)
        for user in (self.bob, self.create_staff()):
            self.client.force_login(user)
            self.assertEqual(self.client.get(reverse("account_data")).status_code, 404)

    def test_a_page_left_open_before_an_account_switch_deletes_nothing(self) -> None:
        from accounts.models import Membership

        Membership.objects.create(user=self.alice, account=self.charlies_account, role=Role.ADMIN)
        self.client.force_login(self.alice)
        session = self.client.session
        session["account_id"] = self.charlies_account.id
        session.save()
        response = self.client.post(reverse("account_data"), self.delete_form())
        self.assertEqual(response.status_code, 404)
        both = [self.alices_account.id, self.charlies_account.id]
        self.assertEqual(Account.objects.filter(id__in=both).count(), 2)

    def test_a_closed_account_lets_nobody_in_while_its_rows_are_deleted(self) -> None:
        self.assertIsNotNone(api_credential_check(self.credential.api_user, self.api_key))
        self.client.force_login(self.alice)
        self.client.post(reverse("account_data"), self.delete_form())
        self.alices_account.refresh_from_db()
        self.assertIsNotNone(self.alices_account.deletion_requested_at)
        self.assertFalse(
            ServiceSchedule.objects.filter(account=self.alices_account, enabled=True).exists()
        )
        # Its members, its API keys and its webhooks are refused before a row is deleted.
        self.client.force_login(self.bob)
        self.assertNotEqual(self.client.get(reverse("order_list")).status_code, 200)
        self.assertIsNone(api_credential_check(self.credential.api_user, self.api_key))
        webhook = reverse("cart_webhook", args=[self.cart.webhook_token])
        answer = self.client.post(webhook, data="{}", content_type="application/json")
        self.assertEqual(answer.status_code, 404)
        self.assertTrue(Order.objects.filter(id=self.order.id).exists())
        # charlie's account is open as before.
        self.client.force_login(self.charlie)
        self.assertEqual(self.client.get(reverse("order_list")).status_code, 200)

    def test_a_copy_of_the_job_or_an_account_not_closed_deletes_nothing(self) -> None:
        self.assertFalse(account_deletion_run(account_id=self.alices_account.id))
        self.assertTrue(Order.objects.filter(id=self.order.id).exists())
        Account.objects.filter(id=self.alices_account.id).update(
            deletion_requested_at=timezone.now()
        )
        with run_lock(self.alices_account.id, namespace=DELETE_LOCK) as lock:
            self.assertTrue(lock.held)
            self.assertFalse(account_deletion_run(account_id=self.alices_account.id))
        self.assertTrue(Order.objects.filter(id=self.order.id).exists())
        self.assertTrue(account_deletion_run(account_id=self.alices_account.id))
        self.assertFalse(Account.objects.filter(id=self.alices_account.id).exists())

    def test_a_deletion_whose_task_was_lost_is_sent_again_by_the_tick(self) -> None:
        broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        requested = timezone.now()
        Account.objects.filter(id=self.alices_account.id).update(deletion_requested_at=requested)
        before = broker.llen("celery")
        account_deletions_resend(requested + timedelta(seconds=10))
        self.assertEqual(broker.llen("celery"), before, "sent again before its minute")
        account_deletions_resend(requested + timedelta(minutes=2))
        self.assertEqual(broker.llen("celery"), before + 1)
