from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from accounts.services import account_sign_up
from carts.models import CartConnection
from orders.models import Order
from tests.base import BaseTestCase


class DashboardTests(BaseTestCase):
    def add_orders(self, merchant, statuses: list[str], prefix: str, days_ago: int = 1) -> None:
        cart = CartConnection.objects.create(
            account=merchant.account,
            merchant=merchant,
            connector_key="sandbox",
            label=f"{merchant} store",
            order_source="store",
            reference_prefix=prefix,
        )
        for number, status in enumerate(statuses):
            Order.objects.create(
                account=merchant.account,
                merchant=merchant,
                cart=cart,
                source_order_id=str(number),
                order_number=f"#{number}",
                cust_ref=f"{prefix}{number}",
                status=status,
                ordered_at=timezone.now() - timedelta(days=days_ago),
            )

    def counts_row(self, html: str, name: str) -> list[str]:
        import re

        row = re.search(rf"<td>{re.escape(name)}</td>(.*?)</tr>", html, re.S).group(1)
        cells = re.findall(r'<td class="count-cell[^"]*">(.*?)</td>', row)
        return [re.sub(r"<[^>]+>", "", cell) for cell in cells]

    def test_it_counts_orders_per_status_and_merchant(self) -> None:
        self.add_orders(self.bobs_merchant, ["new", "new", "at_wms", "error"], "B-")
        self.add_orders(self.other_merchant, ["shipped", "confirmed"], "O-")
        self.add_orders(self.charlies_merchant, ["new"] * 5, "C-")
        self.client.force_login(self.alice)
        html = self.client.get(reverse("dashboard")).content.decode()
        # columns: new, at_wms, shipped, confirmed, error, canceled, total
        self.assertEqual(
            self.counts_row(html, "Bob&#x27;s Bikes"), ["2", "1", "0", "0", "1", "0", "4"]
        )
        self.assertEqual(
            self.counts_row(html, "Other Outfitters"), ["0", "0", "1", "1", "0", "0", "2"]
        )
        self.assertNotIn("Charlie", html)

    def test_finished_orders_count_for_30_days_open_ones_until_they_move(self) -> None:
        self.add_orders(self.bobs_merchant, ["confirmed", "canceled", "error"], "B-", days_ago=45)
        self.add_orders(self.bobs_merchant, ["confirmed"], "R-", days_ago=3)
        self.client.force_login(self.alice)
        html = self.client.get(reverse("dashboard")).content.decode()
        self.assertEqual(
            self.counts_row(html, "Bob&#x27;s Bikes"), ["0", "0", "0", "1", "1", "0", "2"]
        )
        self.assertIn("Confirmed<div", html)
        self.assertIn("last 30 days", html)
        since = (timezone.localdate(timezone=self.alices_account.zone) - timedelta(30)).isoformat()
        link = f"?status=confirmed&amp;merchant={self.bobs_merchant.id}&amp;date_from={since}"
        self.assertIn(link, html)
        # The link lists what the cell counted.
        listed = self.client.get(
            reverse("order_list"),
            {"status": "confirmed", "merchant": self.bobs_merchant.id, "date_from": since},
        )
        self.assertEqual([order.cust_ref for order in listed.context["page"].orders], ["R-0"])

    def test_a_merchant_user_sees_only_their_row(self) -> None:
        self.add_orders(self.bobs_merchant, ["new"], "B-")
        self.add_orders(self.other_merchant, ["new"], "O-")
        self.client.force_login(self.bob)
        html = self.client.get(reverse("dashboard")).content.decode()
        self.assertIn("Bob&#x27;s Bikes", html)
        self.assertNotIn("Other Outfitters", html)

    def test_a_new_account_is_told_what_to_do_next(self) -> None:
        # Sign-up finishes from an e-mailed link (tests/accounts/test_signup.py); this is
        # the account it makes.
        membership = account_sign_up(
            email="new@example.org",
            password="fresh-start-77",
            account_name="Fresh 3PL",
            kind="fulfillment",
            timezone_name="UTC",
        )
        self.client.force_login(membership.user)
        page = self.client.get(reverse("dashboard"))
        self.assertContains(page, "Next steps")
        self.assertContains(page, reverse("merchant_create"))
