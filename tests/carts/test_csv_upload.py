"""Uploading an order file on a CSV cart's page: loaded at once in a manual job run, each
content once, refused rows listed; only for the cart's own people."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Membership, Role
from csvfiles.models import FileReceipt
from jobs.models import JobRun
from orders.models import Order, OrderEvent
from tests.base import BaseTestCase
from tests.objects import create_cart
from tests.support.csv import create_csv_cart, order_rows

GOOD_AND_BAD = order_rows(("1001", "TENT-2P", 2), ("1002", "LAMP-3", "two"), ("1003", "STOVE-1", 1))


class OrderUploadTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.cart = create_csv_cart(self.bobs_merchant)
        self.url = reverse("cart_order_upload", args=[self.cart.id])

    def upload(self, content: bytes, name: str = "test-orders.csv"):  # type: ignore[no-untyped-def]
        return self.client.post(self.url, {"file": SimpleUploadedFile(name, content, "text/csv")})

    def test_the_orders_load_at_once_and_the_page_names_the_refused_rows(self) -> None:
        self.client.force_login(self.bob)
        response = self.upload(GOOD_AND_BAD)
        self.assertContains(response, "<strong>2</strong> new orders")
        self.assertContains(response, "1 row refused")
        self.assertContains(
            response, "test-orders.csv, line 3: “Quantity” (column 11): “two” is not a number"
        )
        self.assertEqual(
            sorted(Order.objects.filter(cart=self.cart).values_list("cust_ref", flat=True)),
            ["CSV-1001", "CSV-1003"],
        )
        run = JobRun.objects.get(cart=self.cart)
        self.assertEqual(
            (run.service, run.trigger, run.status), ("order_download", "manual", "success")
        )
        self.assertIn("Uploaded in the browser: test-orders.csv", run.log)
        self.assertIn("Read test-orders.csv: 2 order(s).", run.log)
        self.assertIn("test-orders.csv, line 3", run.log)
        self.assertContains(response, reverse("job_run_detail", args=[run.id]))
        receipt = FileReceipt.objects.get()
        self.assertEqual((receipt.status, receipt.job_run_id, receipt.folder), ("done", run.id, ""))

    def test_the_same_file_again_loads_nothing(self) -> None:
        self.client.force_login(self.bob)
        self.upload(GOOD_AND_BAD)
        events = OrderEvent.objects.count()
        response = self.upload(GOOD_AND_BAD, name="again.csv")
        self.assertContains(response, "Already loaded on")
        self.assertContains(response, "(as test-orders.csv): nothing was loaded again")
        self.assertEqual(Order.objects.count(), 2)
        self.assertEqual(OrderEvent.objects.count(), events)
        self.assertEqual(FileReceipt.objects.count(), 1)
        self.assertIn("nothing loaded again", JobRun.objects.order_by("-id").first().log)

    def test_a_file_not_in_the_format_loads_nothing_and_says_why(self) -> None:
        self.client.force_login(self.alice)
        response = self.upload(b"Order;SKU\r\n1001;TENT-2P\r\n")
        self.assertContains(response, "Not loaded:")
        self.assertContains(response, "it seems to use the semicolon")
        self.assertFalse(Order.objects.exists())
        self.assertEqual(JobRun.objects.get().status, "failed")
        self.assertEqual(FileReceipt.objects.get().status, "failed")

    def test_the_cart_page_offers_the_upload_and_the_format_links(self) -> None:
        self.client.force_login(self.bob)
        page = self.client.get(reverse("cart_detail", args=[self.cart.id]))
        self.assertContains(page, "Upload an order file")
        self.assertContains(page, "Edit the order file format")
        self.assertContains(page, "Edit the tracking file format")
        sandbox = create_cart(self.bobs_merchant, prefix="SB-")
        other = self.client.get(reverse("cart_detail", args=[sandbox.id]))
        self.assertNotContains(other, "Upload an order file")
        self.assertNotContains(other, "file format")
        elsewhere = reverse("cart_order_upload", args=[sandbox.id])
        self.assertContains(self.client.get(elsewhere), "This cart does not take order files")
        self.client.post(elsewhere, {"file": SimpleUploadedFile("x.csv", GOOD_AND_BAD)})
        self.assertFalse(Order.objects.exists())

    def test_it_checks_ownership(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get(self.url).status_code, 200)  # so the 404 means something
        self.client.force_login(self.charlie)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.upload(GOOD_AND_BAD).status_code, 404)
        others = create_csv_cart(self.other_merchant, prefix="OT-")
        self.client.force_login(self.bob)
        response = self.client.post(
            reverse("cart_order_upload", args=[others.id]),
            {"file": SimpleUploadedFile("x.csv", GOOD_AND_BAD, "text/csv")},
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(Order.objects.exists())

    def test_warehouse_staff_may_not_upload(self) -> None:
        staff = self.create_staff()
        self.assertEqual(Membership.objects.get(user=staff).role, Role.STAFF)
        self.client.force_login(staff)
        self.assertEqual(self.upload(GOOD_AND_BAD).status_code, 403)
        self.assertNotContains(
            self.client.get(reverse("cart_detail", args=[self.cart.id])), "Upload an order file"
        )
