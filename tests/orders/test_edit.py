"""Editing an order the WMS does not have yet: saved with a diff, re-queued, never stale."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone

from jobs.models import JobRun
from orders.jobs import ORDER_DELIVERY
from orders.models import HoldReason, Order, OrderLine, OrderStatus
from orders.services.delivery import orders_deliver
from tests.base import BaseTestCase
from tests.objects import ADDRESS, create_cart, create_order, create_wms, recorder
from wms.models import SandboxWmsOrder, ShipMethodMap


def edit_data(order: Order, *, lines: list[dict[str, Any]] | None = None, **fields: str) -> dict:
    """The edit form as the browser posts it: the order's current values, with `fields`."""
    order.refresh_from_db()
    data: dict[str, Any] = {
        "seen_updated_at": order.updated_at.isoformat(),
        "ship_code": order.ship_code,
        **{name: order.ship_to.get(name, "") for name in ADDRESS_FIELD_NAMES},
    }
    data.update(fields)
    if lines is None:
        lines = [
            {"line_id": line.id, "sku": line.sku, "quantity": str(line.quantity)}
            for line in order.lines.filter(filtered=False, kit_parent=None)
        ]
    data["lines-TOTAL_FORMS"] = str(len(lines))
    data["lines-INITIAL_FORMS"] = str(len(lines))
    for index, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{index}-{key}"] = value
    return data


ADDRESS_FIELD_NAMES = [
    "first_name",
    "last_name",
    "company",
    "address_1",
    "address_2",
    "address_3",
    "city",
    "state",
    "zip",
    "country",
    "phone",
    "email",
]


class OrderEditTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.wms = create_wms(self.alices_account, ship_delay_seconds=3600)
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")
        self.client.force_login(self.alice)

    def held(self, code: str = HoldReason.MISSING_ADDRESS, **fields: Any) -> Order:
        return create_order(
            self.cart,
            status=OrderStatus.ERROR,
            error_code=code,
            error_reason="The ship-to address has no street address.",
            **fields,
        )

    def url(self, order: Order) -> str:
        return reverse("order_edit", args=[order.id])

    def deliver(self) -> None:
        run = recorder(merchant=self.bobs_merchant, service=ORDER_DELIVERY)
        try:
            orders_deliver(merchant=self.bobs_merchant, run=run)
        finally:
            JobRun.objects.filter(id=run.job_run.id).update(status=JobRun.Status.SUCCESS)

    def test_it_fixes_a_missing_street_and_the_order_goes_without_resend(self) -> None:
        order = self.held(ship_to={k: v for k, v in ADDRESS.items() if k != "address_1"})
        page = self.client.get(self.url(order))
        self.assertContains(page, "Held:")
        response = self.client.post(
            self.url(order), edit_data(order, address_1="12 Main St"), follow=True
        )
        self.assertContains(response, "The order goes to the WMS at the next delivery run.")
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.NEW)
        self.assertEqual(order.ship_to["address_1"], "12 Main St")
        edited = order.events.get(message__startswith="Edited")
        self.assertEqual(edited.user, self.alice)
        self.assertIn("Street: (empty) → 12 Main St", edited.message)
        self.assertContains(response, "Street: (empty) → 12 Main St")  # the history shows it
        self.assertContains(response, "alice@example.org")
        self.deliver()
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.AT_WMS)
        self.assertEqual(SandboxWmsOrder.objects.get().cust_ref, order.cust_ref)

    def test_the_history_reads_as_a_diff(self) -> None:
        order = self.held(ship_to={**ADDRESS, "city": "Phila", "address_1": ""})
        self.client.post(
            self.url(order), edit_data(order, city="Philadelphia", address_1="1200 Market St")
        )
        message = order.events.get(message__startswith="Edited").message
        self.assertIn("City: Phila → Philadelphia", message)
        self.assertEqual(Order.objects.get(id=order.id).ship_name, "Maria Garcia")

    def test_lines_change_are_removed_and_added(self) -> None:
        order = self.held(code=HoldReason.UNKNOWN_SKU, skus=("NOPE-1", "TENT-2P-GRN"))
        first, second = order.lines.all()
        lines = [
            {"line_id": first.id, "sku": "SLEEPBAG-REG", "quantity": "3"},
            {"line_id": second.id, "sku": second.sku, "quantity": "1", "remove": "on"},
            {"line_id": "", "sku": "STOVE-1B", "quantity": "2"},
        ]
        self.client.post(self.url(order), edit_data(order, lines=lines))
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.NEW)  # an unknown SKU is fixed by a line edit
        self.assertEqual(
            [(line.sku, line.wms_sku, line.quantity) for line in order.lines.all()],
            [("SLEEPBAG-REG", "SLEEPBAG-REG", Decimal(3)), ("STOVE-1B", "STOVE-1B", Decimal(2))],
        )
        message = order.events.get(message__startswith="Edited").message
        for part in (
            "Line 1 SKU: NOPE-1 → SLEEPBAG-REG",
            "Line 1 quantity: 1 → 3",
            "Line 2 removed: TENT-2P-GRN × 1",
            "Line 3 added: STOVE-1B × 2",
        ):
            self.assertIn(part, message)

    def test_an_edit_that_does_not_fix_the_hold_keeps_the_order_held(self) -> None:
        order = self.held(code=HoldReason.UNKNOWN_SKU)
        response = self.client.post(
            self.url(order), edit_data(order, phone="555-0100"), follow=True
        )
        self.assertContains(response, "still held")
        self.assertEqual(Order.objects.get(id=order.id).status, OrderStatus.ERROR)

    def test_form_errors_say_what_to_fix(self) -> None:
        order = self.held()
        line = order.lines.get()
        data = edit_data(
            order,
            address_1="",
            first_name="",
            last_name="",
            lines=[{"line_id": line.id, "sku": line.sku, "quantity": "0"}],
        )
        response = self.client.post(self.url(order), data)
        self.assertContains(response, "Enter the street: the WMS needs it to ship.")
        self.assertContains(response, "Enter a name or a company to ship to.")
        self.assertContains(response, "Enter a quantity above 0, or tick Remove.")
        self.assertFalse(order.events.exists())

    def test_removing_every_line_is_refused(self) -> None:
        order = self.held()
        line = order.lines.get()
        data = edit_data(
            order, lines=[{"line_id": line.id, "sku": line.sku, "quantity": "1", "remove": "on"}]
        )
        self.assertContains(self.client.post(self.url(order), data), "An order needs a line")
        self.assertTrue(OrderLine.objects.filter(id=line.id).exists())

    def test_an_order_changed_since_the_form_opened_is_not_overwritten(self) -> None:
        order = self.held(ship_to={**ADDRESS, "address_1": ""})
        data = edit_data(order, address_1="From the form 1")
        # A download changes the order while the form is open.
        Order.objects.filter(id=order.id).update(
            ship_to={**ADDRESS, "address_1": "From the cart 9"},
            updated_at=timezone.now() + timedelta(seconds=1),
        )
        response = self.client.post(self.url(order), data, follow=True)
        self.assertContains(response, "The order changed while you were editing it")
        self.assertContains(response, 'value="From the cart 9"')  # the current values
        self.assertEqual(Order.objects.get(id=order.id).ship_to["address_1"], "From the cart 9")
        self.assertFalse(order.events.exists())

    def test_filtered_and_kit_component_lines_are_shown_but_not_editable(self) -> None:
        order = self.held(skus=("TENT-2P-GRN", "STICKER", "POLE"))
        kit, filtered, component = order.lines.all()
        OrderLine.objects.filter(id=filtered.id).update(filtered=True)
        OrderLine.objects.filter(id=component.id).update(kit_parent=kit)
        page = self.client.get(self.url(order))
        self.assertContains(page, "Dropped by an item filter")
        self.assertContains(page, "A kit component")
        self.assertEqual(page.context["lines"].total_form_count(), 1 + 2)  # one line, two empty
        data = edit_data(
            order,
            lines=[
                {"line_id": kit.id, "sku": kit.sku, "quantity": "1"},
                {"line_id": filtered.id, "sku": "CHANGED", "quantity": "1"},
            ],
        )
        response = self.client.post(self.url(order), data)
        self.assertContains(response, "not an editable line of this order")
        self.assertEqual(OrderLine.objects.get(id=filtered.id).sku, "STICKER")

    def test_a_ship_code_edit_releases_only_when_the_code_is_mapped(self) -> None:
        self.cart.reject_unmapped_ship_methods = True
        self.cart.save()
        ShipMethodMap.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            cart=self.cart,
            cart_code="express",
            wms_code="UPS-2DA",
        )
        order = self.held(code=HoldReason.UNMAPPED_SHIP_METHOD, ship_code="weird")
        self.client.post(self.url(order), edit_data(order, ship_code="still-weird"))
        self.assertEqual(Order.objects.get(id=order.id).status, OrderStatus.ERROR)
        self.client.post(self.url(order), edit_data(order, ship_code="express"))
        order.refresh_from_db()
        self.assertEqual((order.status, order.ship_code), (OrderStatus.NEW, "express"))

    def test_a_new_order_can_be_edited_but_not_one_at_the_wms_or_being_sent(self) -> None:
        new = create_order(self.cart, number=1, not_before=timezone.now() + timedelta(hours=1))
        self.client.post(self.url(new), edit_data(new, city="Pittsburgh"))
        new.refresh_from_db()
        self.assertEqual((new.status, new.ship_to["city"]), (OrderStatus.NEW, "Pittsburgh"))
        self.assertIsNone(new.not_before)  # an edit sends at once, not after the back-off
        sent = create_order(self.cart, number=2, status=OrderStatus.AT_WMS)
        sending = create_order(self.cart, number=3, delivery_started_at=timezone.now())
        for order in (sent, sending):
            response = self.client.post(self.url(order), edit_data(order, city="X"), follow=True)
            self.assertContains(response, "Only an order in Error, or new and not being sent")
            self.assertNotEqual(Order.objects.get(id=order.id).ship_to["city"], "X")
        detail = self.client.get(reverse("order_detail", args=[sent.id]))
        self.assertNotContains(detail, "Edit order")

    def test_it_checks_ownership(self) -> None:
        order = self.held()
        other = self.held(number=2, ship_to=ADDRESS)
        Order.objects.filter(id=other.id).update(merchant=self.other_merchant)
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(self.url(order)).status_code, 200)
        self.assertEqual(self.client.get(self.url(other)).status_code, 404)
        self.assertEqual(self.client.post(self.url(other), {}).status_code, 404)
        self.client.force_login(self.charlie)
        self.assertEqual(self.client.get(self.url(order)).status_code, 404)
        self.assertEqual(self.client.post(self.url(order), edit_data(order)).status_code, 404)
