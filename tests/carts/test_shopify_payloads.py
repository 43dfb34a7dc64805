"""The Shopify connector's pure modules on payloads alone: no emulator, no HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

from django.test import SimpleTestCase

from carts.connectors.shopify import inventory, orders, shipments, webhooks
from carts.connectors.shopify.client import QuantityRefused
from carts.connectors.signatures import hmac_sha256_base64
from integration_manager.records import ShipmentRecord

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class ShopifyOrderPayloadTests(SimpleTestCase):
    def test_the_cursor_moves_to_the_newest_readable_change_and_never_back(self) -> None:
        cursor = "2026-03-02T09:30:00+00:00"
        nodes = [
            {"updatedAt": "2026-03-02T09:28:00Z"},  # in the overlap: older than the cursor
            {"updatedAt": "2026-03-02T09:41:00Z"},
            {"updatedAt": "not a date"},
            {},
        ]

        self.assertEqual(orders.next_cursor(nodes, cursor), "2026-03-02T09:41:00+00:00")
        self.assertEqual(orders.next_cursor(nodes[:1], cursor), cursor)
        self.assertIsNone(orders.next_cursor([], None))

    def test_pages_shrink_when_refused_and_fit_the_reported_cost(self) -> None:
        size = orders.PageSize()

        self.assertTrue(size.shrink(400))
        self.assertEqual((size.first, size.target), (orders.FIRST_PAGE_SIZE // 2, 360))
        size.fit(requested_cost=3 + 5 * 50)  # 50 points an order
        self.assertEqual(size.first, (360 - 3) // 50)
        size.first = 1
        self.assertFalse(size.shrink(400))  # one order is too costly: nothing to shrink

    def test_the_search_names_the_window_and_the_earliest_order_date_in_utc(self) -> None:
        search = orders.order_search(T0, "2026-01-01")

        self.assertEqual(
            search, "updated_at:>='2026-03-02T09:00:00Z' AND created_at:>='2026-01-01T00:00:00Z'"
        )

    def test_an_unreadable_order_is_a_record_error_naming_it(self) -> None:
        node = {"legacyResourceId": "450789469", "name": "#1001"}

        failure = orders.unreadable(node, ValueError("not an amount: 'NaN'"))

        self.assertEqual(failure.record_ref, "450789469")
        self.assertIn("#1001", str(failure))


class ShopifyShipmentPayloadTests(SimpleTestCase):
    def test_an_earlier_upload_is_found_by_tracking_number_unless_it_failed(self) -> None:
        fulfillments = [
            {"id": "gid://shopify/Fulfillment/1", "status": "CANCELLED", "trackingInfo": []},
            {
                "id": "gid://shopify/Fulfillment/2",
                "status": "CANCELLED",
                "trackingInfo": [{"number": "1Z999"}],
            },
            {"id": "gid://shopify/Fulfillment/3", "status": "SUCCESS", "trackingInfo": [{}]},
            {
                "id": "gid://shopify/Fulfillment/4",
                "legacyResourceId": "4",
                "status": "SUCCESS",
                "trackingInfo": [{"number": " 1z999 "}],
            },
        ]
        sent = ShipmentRecord(
            cust_ref="B-1", wms_shipment_ref="P-1", shipped_at=T0, tracking_number="1Z999 "
        )

        found = shipments.fulfillments_with_tracking(fulfillments, shipments.tracking_key(sent))

        self.assertEqual(found, ["4"])


class ShopifyInventoryPayloadTests(SimpleTestCase):
    def test_a_sku_search_keeps_exact_skus_once_each(self) -> None:
        variants = [
            {"sku": "BIKE", "inventoryItem": {"id": "gid://shopify/InventoryItem/1", "tracked": 1}},
            {"sku": "BIKE", "inventoryItem": {"id": "gid://shopify/InventoryItem/1", "tracked": 1}},
            {"sku": "BIKE-XL", "inventoryItem": {"id": "gid://shopify/InventoryItem/2"}},
            {"sku": "HELMET", "inventoryItem": {}},
        ]

        found = inventory.inventory_items(variants, ["BIKE", "HELMET"])

        self.assertEqual(
            found, {"BIKE": (inventory.InventoryItemRef("gid://shopify/InventoryItem/1", True),)}
        )

    def test_a_quoted_search_keeps_odd_skus_one_term(self) -> None:
        self.assertEqual(inventory.sku_search(['A "B"', "C\\D"]), 'sku:"A \\"B\\"" OR sku:"C\\\\D"')

    def test_refused_skus_are_taken_out_and_the_rest_goes_again(self) -> None:
        batch = [
            inventory.Quantity("BIKE", "gid://shopify/InventoryItem/1", 5),
            inventory.Quantity("BIKE", "gid://shopify/InventoryItem/2", 5),
            inventory.Quantity("LAMP", "gid://shopify/InventoryItem/3", 1),
        ]
        lamp = QuantityRefused("not stocked", record_ref="LAMP", index=2)
        whole = QuantityRefused("bad reason", record_ref="BIKE", index=None)

        self.assertEqual(inventory.still_to_send(batch, [lamp]), batch[:2])
        self.assertEqual(inventory.still_to_send(batch, [whole]), [])
        self.assertEqual(inventory.still_to_send(batch, []), [])  # all of it was set


class ShopifyWebhookPayloadTests(SimpleTestCase):
    def test_headers_are_read_in_any_case(self) -> None:
        body = b'{"id": 450789469}'
        headers = {
            "X-Shopify-Topic": "orders/updated",
            "X-SHOPIFY-HMAC-SHA256": hmac_sha256_base64("secret", body),
        }

        notice = webhooks.parse(secret="secret", headers=headers, body=body)

        self.assertEqual(
            (notice.topic, notice.source_order_ids), ("orders/updated", ("450789469",))
        )
