"""3PL Warehouse Manager's pure modules, from payloads in both representations, no HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import requests
from django.test import SimpleTestCase

from integration_manager.connector_errors import AuthError, RecordError
from integration_manager.records import ShipmentLineRecord
from tests.support.threepl import delivery_order
from wms.connectors.threepl import inventory, orders, shipments, webhooks
from wms.connectors.threepl.client import camel_key, camel_keys, fault_of, resource_list
from wms.connectors.threepl.forms import merchant_choices

REL = "http://api.3plCentral.com/rels/"


def closed_order(**changes: object) -> dict:
    """A closed order with two lines and two packages, in the HAL shape (our own values)."""
    order = {
        "readOnly": {
            "orderId": 5001,
            "isClosed": True,
            "status": 1,
            "shipDate": "2026-03-03T15:04:05",
            "lastModifiedDate": "2026-03-03T15:10:00",
            "packages": [
                {
                    "packageId": 700,
                    "trackingNumber": "1Z999AA10000000001",
                    "packageContents": [
                        {"orderItemId": 90001, "qty": 1.0},
                        {"orderItemId": 90002, "qty": 1.0},
                    ],
                },
                {
                    "packageId": 702,
                    "trackingNumber": "1Z999AA10000000002",
                    "packageContents": [{"orderItemId": 90001, "qty": 1.0}],
                },
            ],
        },
        "referenceNum": "HUB-1001",
        "routingInfo": {
            "carrier": "UPS",
            "mode": "03",
            "scacCode": "UPSN",
            "trackingNumber": "1Z999AA10000000001",
        },
        "_embedded": {
            REL + "orders/item": [
                {
                    "readOnly": {"orderItemId": 90001},
                    "itemIdentifier": {"sku": "BIKE-RED"},
                    "qty": 2,
                },
                {
                    "readOnly": {"orderItemId": 90002},
                    "itemIdentifier": {"sku": "HELMET-M"},
                    "qty": 1,
                },
            ]
        },
    }
    order.update(changes)
    return order


def pascal(value: object) -> object:
    """The plain JSON representation of a HAL payload (keys PascalCase, lines in lists)."""
    if isinstance(value, list):
        return [pascal(item) for item in value]
    if not isinstance(value, dict):
        return value
    plain = {}
    for key, item in value.items():
        if key == "_embedded":
            plain["OrderItems"] = pascal(next(iter(item.values())))
        else:
            plain[key[0].upper() + key[1:]] = pascal(item)
    return plain


class RepresentationTests(SimpleTestCase):
    def test_keys_become_camel_case_as_hal_spells_them(self) -> None:
        cases = {
            "ResourceList": "resourceList",
            "TotalResults": "totalResults",
            "SCACCode": "scacCode",
            "UPSIsResidential": "upsIsResidential",
            "UPC": "upc",
            "referenceNum": "referenceNum",
            "$type": "$type",
            REL + "orders/item": REL + "orders/item",
        }
        self.assertEqual({key: camel_key(key) for key in cases}, cases)

    def test_a_collection_is_read_from_either_representation(self) -> None:
        hal = {"totalResults": 1, "_embedded": {REL + "orders/order": [{"referenceNum": "A"}]}}
        plain = camel_keys({"TotalResults": 1, "ResourceList": [{"ReferenceNum": "A"}]})
        bare = {"_embedded": {"item": [{"referenceNum": "A"}]}}
        for payload in (hal, plain, bare):
            self.assertEqual(resource_list(payload, "orders/order"), [{"referenceNum": "A"}])
        self.assertEqual(resource_list(hal, "customers/customer"), [])

    def test_the_rel_is_matched_whatever_its_case(self) -> None:
        payload = {"_embedded": {"http://api.3plcentral.com/rels/orders/order": [{"a": 1}]}}
        self.assertEqual(resource_list(payload, "orders/order"), [{"a": 1}])


class FaultTests(SimpleTestCase):
    def response(self, status: int, body: object) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return response

    def test_a_model_validation_fault_keeps_its_fields(self) -> None:
        fault = fault_of(
            self.response(
                400,
                {
                    "$type": "WMS.V2.Generic.Models.Exceptions.ModelValidationException, WMS.V2",
                    "ModelType": 0,
                    "Properties": [{"Name": "ReferenceNum", "Value": "HUB-1"}],
                    "ErrorCode": "Duplicate",
                    "Hint": "Duplicate ReferenceNum",
                },
            )
        )
        self.assertEqual(fault.kind, "ModelValidationException")
        self.assertTrue(orders.is_duplicate(fault))
        self.assertEqual(fault.text, "Duplicate: Duplicate ReferenceNum (ReferenceNum HUB-1)")

    def test_an_unknown_sku_is_told_from_other_missing_things(self) -> None:
        def fault(name: str) -> object:
            body = {"ErrorCode": "DoesNotExist", "Properties": [{"Name": name, "Value": "X"}]}
            return fault_of(self.response(400, body))

        self.assertTrue(orders.unknown_sku(fault("ItemIdentifier.Sku")))
        self.assertFalse(orders.unknown_sku(fault("FacilityIdentifier")))

    def test_a_plain_text_body_gives_no_fields(self) -> None:
        fault = fault_of(self.response(500, b"System.NullReferenceException at Wms.Orders"))
        self.assertEqual((fault.kind, fault.text), ("", ""))


class ShipCodeTests(SimpleTestCase):
    def test_a_code_names_carrier_mode_billing_and_scac_and_reads_back(self) -> None:
        routing = orders.Routing(carrier="UPS", mode="03", billing_code="Prepaid", scac="UPSN")
        self.assertEqual(routing.code, "UPS|03|Prepaid|UPSN")
        self.assertEqual(orders.Routing.from_code(routing.code, default_billing_code="X"), routing)

    def test_an_empty_billing_code_is_the_connections_default(self) -> None:
        routing = orders.Routing.from_code("FedEx|FEDEX_GROUND", default_billing_code="Prepaid")
        self.assertEqual(
            (routing.carrier, routing.mode, routing.billing_code, routing.scac),
            ("FedEx", "FEDEX_GROUND", "Prepaid", ""),
        )

    def test_a_code_without_separators_is_all_carrier(self) -> None:
        routing = orders.Routing.from_code("Will Call", default_billing_code="Prepaid")
        self.assertEqual((routing.carrier, routing.mode), ("Will Call", ""))

    def test_ship_methods_come_from_active_carrier_services(self) -> None:
        payload = {
            "defaultBillingCodes": ["Prepaid"],
            "_embedded": {
                REL + "properties/carrier": [
                    {
                        "name": "UPS",
                        "displayName": "UPS",
                        "scacCode": "UPSN",
                        "shipmentServices": [
                            {"code": "03", "description": "Ground"},
                            {"code": "14", "description": "Early", "deactivated": True},
                        ],
                        "billingCodes": ["BillThirdParty", "Prepaid"],
                    },
                    {
                        "name": "FedEx",
                        "shipmentServices": [{"code": "FEDEX_GROUND", "description": "Ground"}],
                        "billingCodes": [{"name": "Third Party"}],
                    },
                    {"name": "DHL", "deactivated": True, "shipmentServices": [{"code": "X"}]},
                ]
            },
        }
        records = orders.ship_method_records(payload, default_billing_code="Prepaid")
        self.assertEqual(
            [(record.code, record.description, record.carrier) for record in records],
            [
                ("UPS|03|Prepaid|UPSN", "UPS Ground (Prepaid)", "UPS"),
                # Prepaid is not one of FedEx's billing codes here: its first is taken.
                ("FedEx|FEDEX_GROUND|Third Party", "FedEx Ground (Third Party)", "FedEx"),
            ],
        )
        plain = camel_keys(
            {
                "DefaultBillingCodes": ["Prepaid"],
                "ResourceList": pascal(payload["_embedded"][REL + "properties/carrier"]),
            }
        )
        self.assertEqual(orders.ship_method_records(plain, default_billing_code="Prepaid"), records)


class OrderBodyTests(SimpleTestCase):
    def test_an_order_becomes_a_create_with_our_reference_and_its_routing(self) -> None:
        order = delivery_order(
            "HUB-1001", {"BIKE-RED": 2, "HELMET-M": "1.5"}, ship_code="UPS|03||UPSN", notes="Gift"
        )
        body = orders.order_body(
            order, customer_id=12, facility_id=1, default_billing_code="BillThirdParty"
        )
        self.assertEqual(body["referenceNum"], "HUB-1001")
        self.assertEqual(body["poNum"], "#HUB-1001")
        self.assertEqual(body["customerIdentifier"], {"id": 12})
        self.assertEqual(body["facilityIdentifier"], {"id": 1})
        self.assertEqual(body["billingCode"], "BillThirdParty")
        self.assertEqual(body["routingInfo"], {"carrier": "UPS", "mode": "03", "scacCode": "UPSN"})
        self.assertEqual(body["notes"], "Gift")
        self.assertEqual(
            [(item["itemIdentifier"]["sku"], item["qty"]) for item in body["orderItems"]],
            [("BIKE-RED", 2), ("HELMET-M", 1.5)],
        )
        self.assertEqual(body["shipTo"]["name"], "Ada Okafor")
        self.assertEqual(body["shipTo"]["address2"], "Apt 4")
        self.assertEqual(body["soldTo"]["emailAddress"], "ada@example.org")
        self.assertEqual(body["fulfillInvInfo"]["fulfillInvShippingAndHandling"], 7.25)
        json.dumps(body)  # serialisable as it stands: no Decimal left

    def test_empty_routing_fields_are_left_out(self) -> None:
        body = orders.order_body(
            delivery_order("HUB-2", ship_code=""),
            customer_id=12,
            facility_id=1,
            default_billing_code="Prepaid",
        )
        self.assertNotIn("routingInfo", body)
        self.assertEqual(body["billingCode"], "Prepaid")
        self.assertNotIn("notes", body)

    def test_rql_values_escape_the_reserved_characters(self) -> None:
        self.assertEqual(orders.rql_value("A;B,C(1)=*!%"), "A%3BB%2CC%281%29%3D%2A%21%25")
        self.assertEqual(
            orders.lookup_rql(cust_ref="HUB-1", customer_id=12),
            "referenceNum==HUB-1;readOnly.customerIdentifier.id==12",
        )

    def test_a_lookup_prefers_a_live_order_to_a_canceled_one(self) -> None:
        found = orders.found_order(
            [
                {"referenceNum": "HUB-1", "readOnly": {"orderId": 3, "status": 2}},
                {"referenceNum": "HUB-1", "readOnly": {"orderId": 9, "status": 0}},
                {"referenceNum": "HUB-10", "readOnly": {"orderId": 1, "status": 0}},
            ],
            cust_ref="HUB-1",
        )
        self.assertEqual(orders.order_id_of(found or {}), 9)


class ShipmentRecordTests(SimpleTestCase):
    def test_each_package_is_a_shipment_with_its_contents(self) -> None:
        first, second = shipments.shipment_records(closed_order())
        self.assertEqual(
            (first.cust_ref, first.wms_shipment_ref, first.tracking_number),
            ("HUB-1001", "5001-700", "1Z999AA10000000001"),
        )
        self.assertEqual((first.carrier, first.method, first.scac), ("UPS", "03", "UPSN"))
        self.assertEqual(first.shipped_at, datetime(2026, 3, 3, 15, 4, 5, tzinfo=UTC))
        self.assertEqual(
            first.lines,
            (
                ShipmentLineRecord(sku="BIKE-RED", quantity=Decimal("1.0")),
                ShipmentLineRecord(sku="HELMET-M", quantity=Decimal("1.0")),
            ),
        )
        self.assertEqual(
            second.lines, (ShipmentLineRecord(sku="BIKE-RED", quantity=Decimal("1.0")),)
        )
        self.assertEqual(second.tracking_number, "1Z999AA10000000002")

    def test_the_plain_json_representation_gives_the_same_shipments(self) -> None:
        plain = camel_keys(pascal(closed_order()))
        self.assertIn("orderItems", plain)
        self.assertEqual(
            shipments.shipment_records(plain), shipments.shipment_records(closed_order())
        )

    def test_an_order_closed_without_packages_is_one_shipment_of_every_line(self) -> None:
        order = closed_order()
        order["readOnly"]["packages"] = []
        [record] = shipments.shipment_records(order)
        self.assertEqual(
            (record.wms_shipment_ref, record.tracking_number), ("5001", "1Z999AA10000000001")
        )
        self.assertEqual(
            [(line.sku, line.quantity) for line in record.lines], [("BIKE-RED", 2), ("HELMET-M", 1)]
        )

    def test_packages_without_contents_put_every_line_on_the_first(self) -> None:
        order = closed_order()
        for package in order["readOnly"]["packages"]:
            package["packageContents"] = []
        first, second = shipments.shipment_records(order)
        self.assertEqual(len(first.lines), 2)
        self.assertEqual(second.lines, ())

    def test_a_canceled_order_ships_nothing(self) -> None:
        order = closed_order()
        order["readOnly"]["status"] = 2
        self.assertEqual(shipments.shipment_records(order), [])


class ClosedOrderListingTests(SimpleTestCase):
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

    @staticmethod
    def page(*moments: str, first_id: int = 1) -> list[dict]:
        return [
            {"readOnly": {"orderId": first_id + index, "lastModifiedDate": moment}}
            for index, moment in enumerate(moments)
        ]

    def test_the_first_read_goes_a_week_back_and_later_ones_overlap_the_cursor(self) -> None:
        self.assertEqual(shipments.window_start(None, now=self.now), "2026-03-03T12:00:00")
        self.assertEqual(
            shipments.window_start("2026-03-09T08:00:00", now=self.now), "2026-03-09T07:50:00"
        )

    def test_the_cursor_is_the_newest_change_as_the_wms_wrote_it(self) -> None:
        listing = shipments.ClosedOrderListing(cursor="2026-03-09T08:00:00", now=self.now)
        fresh = listing.fresh(self.page("2026-03-09T08:30:00.347", "2026-03-09T07:55:00"))
        self.assertEqual(len(fresh), 2)
        self.assertEqual(listing.cursor, "2026-03-09T08:30:00")
        self.assertEqual(listing.fresh(self.page("2026-03-09T08:30:00")), [])  # read already

    def test_a_full_page_restarts_at_its_newest_change(self) -> None:
        listing = shipments.ClosedOrderListing(cursor=None, now=self.now)
        self.assertTrue(
            listing.advance(self.page("2026-03-05T10:00:00", "2026-03-06T11:00:00"), page_size=2)
        )
        self.assertEqual((listing.since, listing.page), ("2026-03-06T11:00:00", 1))

    def test_a_full_page_of_one_moment_goes_on_by_page_number(self) -> None:
        listing = shipments.ClosedOrderListing(cursor=None, now=self.now)
        listing.since = "2026-03-06T11:00:00"
        self.assertTrue(
            listing.advance(self.page("2026-03-06T11:00:00", "2026-03-06T11:00:00"), page_size=2)
        )
        self.assertEqual(listing.page, 2)
        self.assertFalse(listing.advance(self.page("2026-03-06T11:00:00"), page_size=2))


class StockLevelTests(SimpleTestCase):
    def test_qualifiers_are_summed_per_sku_at_the_facility(self) -> None:
        rows = [
            {
                "itemIdentifier": {"sku": "PUMP"},
                "qualifier": "",
                "available": 4.0,
                "onHand": 6.0,
                "facilityId": 1,
            },
            {
                "itemIdentifier": {"sku": "PUMP"},
                "qualifier": "B",
                "available": 2.0,
                "onHand": 2.0,
                "facilityId": 1,
            },
            {"itemIdentifier": {"sku": "LOCK"}, "available": -3.0, "onHand": 0.0, "facilityId": 1},
            {"itemIdentifier": {"sku": "TENT"}, "available": 9.0, "onHand": 9.0, "facilityId": 2},
        ]
        now = datetime(2026, 3, 10, tzinfo=UTC)
        levels = inventory.stock_levels(
            rows, facility_id=1, location_name="Main Warehouse", now=now
        )
        self.assertEqual(
            [(level.sku, level.available, level.on_hand) for level in levels],
            [("LOCK", 0, 0), ("PUMP", 6, 8)],
        )
        self.assertEqual(
            {(level.location_id, level.location_name) for level in levels},
            {("1", "Main Warehouse")},
        )

    def test_the_facility_name_comes_from_the_customer(self) -> None:
        customer = {
            "facilities": [{"name": "Main Warehouse", "id": 1}, {"name": "East Annex", "id": 2}]
        }
        self.assertEqual(inventory.facility_name(customer, 2), "East Annex")
        self.assertEqual(inventory.facility_name(customer, 9), "")


class WebhookPayloadTests(SimpleTestCase):
    def body(self, **changes: object) -> bytes:
        payload = {
            "tplId": 2,
            "eventType": "OrderConfirm",
            "resource": {
                "rel": "orders/order",
                "href": "/orders/5001?detail=OrderItems",
                "body": json.dumps({"ReadOnly": {"OrderId": 5001}, "ReferenceNum": "HUB-1001"}),
            },
            "links": json.dumps({"customers/customer": "/customers/12"}),
            "data": json.dumps({"OrderId": "5001"}),
            "tags": "Shipped",
        }
        payload.update(changes)
        return json.dumps(payload).encode()

    def test_an_event_names_its_type_and_our_reference(self) -> None:
        notice = webhooks.webhook_notice(self.body())
        self.assertEqual((notice.topic, notice.source_order_ids), ("OrderConfirm", ("HUB-1001",)))
        self.assertTrue(notice.delivery_id.startswith("sha256:"))

    def test_an_event_without_its_resource_names_no_order(self) -> None:
        notice = webhooks.webhook_notice(self.body(resource={"rel": "orders/order", "body": None}))
        self.assertEqual(notice.source_order_ids, ())

    def test_an_unreadable_body_is_a_record_error(self) -> None:
        for body in (b"not json", b"[1, 2]", b'{"tplId": 2}'):
            with self.assertRaises(RecordError):
                webhooks.webhook_notice(body)

    def test_a_signature_header_is_found_whatever_its_case_and_odd_ones_are_refused(self) -> None:
        self.assertEqual(webhooks.signature_of({"signature": "AAEC"}), b"\x00\x01\x02")
        for headers in ({}, {"Signature": ""}, {"Signature": "not base64!"}, {"Signature": "ÅÄÖ"}):
            with self.assertRaises(AuthError):
                webhooks.signature_of(headers)


class MerchantChoicesTests(SimpleTestCase):
    def test_active_customers_and_their_facilities_by_name(self) -> None:
        customers = [
            {
                "readOnly": {"customerId": 14, "deactivated": False},
                "companyInfo": {"companyName": "Other Outfitters"},
                "facilities": [{"name": "Main Warehouse", "id": 1}, {"name": "West Dock", "id": 3}],
            },
            {
                "readOnly": {"customerId": 12},
                "companyInfo": {"companyName": "Bob's Bikes"},
                "facilities": [{"name": "Main Warehouse", "id": 1}],
            },
            {
                "readOnly": {"customerId": 15, "deactivated": True},
                "companyInfo": {"companyName": "Gone"},
            },
        ]
        self.assertEqual(
            merchant_choices(customers),
            {
                "customer_id": [("12", "Bob's Bikes (12)"), ("14", "Other Outfitters (14)")],
                "facility_id": [("1", "Main Warehouse (1)"), ("3", "West Dock (3)")],
            },
        )
