"""Shipments to WooCommerce: note or extension tracking, then the status; never twice."""

from __future__ import annotations

from django.test import SimpleTestCase

from carts.connectors.woocommerce import shipments
from carts.connectors.woocommerce.client import TRACKING_API
from integration_manager.connector_errors import AuthError, RecordError, TransientError
from integration_manager.records import UploadOrder
from tests.support.woocommerce import WooCommerceTestCase, shipment, upload_order


class WooCommerceNoteShipmentTests(WooCommerceTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.payload = self.emulator.add_order()
        self.order = upload_order(self.payload)
        self.oid = self.payload["id"]

    def test_it_adds_a_customer_note_then_completes_the_order(self) -> None:
        created = self.connector(shipment_tracking="no").upload_shipment(self.order, shipment())
        [note] = self.emulator.api_notes(self.oid)
        self.assertEqual(created, f"note:{note['id']}")
        self.assertIn("1Z999AA10123456784", note["note"])
        self.assertIn("UPS Ground", note["note"])
        self.assertTrue(note["customer_note"])
        self.assertEqual(self.emulator.status_changes, [(self.oid, "processing", "completed")])
        writes = [r.method for r in self.emulator.requests if r.method in ("POST", "PUT")]
        self.assertEqual(writes, ["POST", "PUT"])  # the note first, for the e-mails
        self.assertEqual(
            self.emulator.requests_to("PUT", r"/orders/\d+$")[0].json(), {"status": "completed"}
        )

    def test_a_private_note_when_the_customer_is_not_to_be_told(self) -> None:
        self.connector(shipment_tracking="no", notify_customer=False).upload_shipment(
            self.order, shipment()
        )
        self.assertFalse(self.emulator.api_notes(self.oid)[0]["customer_note"])

    def test_a_shipment_without_tracking_is_named_by_its_reference(self) -> None:
        connector = self.connector()  # auto: the extension needs a tracking number
        created = connector.upload_shipment(self.order, shipment(tracking_number=""))
        [note] = self.emulator.api_notes(self.oid)
        self.assertIn("PKG-77", note["note"])
        self.assertEqual(self.emulator.trackings(self.oid), [])
        self.assertEqual(connector.find_shipment(self.order, shipment(tracking_number="")), created)

    def test_an_empty_ship_status_leaves_the_status_alone(self) -> None:
        self.connector(shipment_tracking="no", ship_status="").upload_shipment(
            self.order, shipment()
        )
        self.assertEqual(self.emulator.status_changes, [])
        self.assertEqual(len(self.emulator.api_notes(self.oid)), 1)

    def test_it_sets_a_plugins_status_only_if_the_store_has_it(self) -> None:
        connector = self.connector(shipment_tracking="no", ship_status="shipped")
        with self.assertRaisesMessage(AuthError, "no order status “shipped”"):
            connector.upload_shipment(self.order, shipment())
        self.emulator.register_status("shipped", "Shipped")
        connector.upload_shipment(self.order, shipment())
        self.assertEqual(self.emulator.status_changes, [(self.oid, "processing", "shipped")])
        self.assertEqual(len(self.emulator.api_notes(self.oid)), 1)  # the retry reused it

    def test_find_shipment_says_none_until_the_upload_happened(self) -> None:
        connector = self.connector(shipment_tracking="no")
        self.assertIsNone(connector.find_shipment(self.order, shipment()))
        created = connector.upload_shipment(self.order, shipment())
        self.assertEqual(connector.find_shipment(self.order, shipment()), created)
        self.assertIsNone(
            connector.find_shipment(self.order, shipment(tracking_number="1Z999AA1012345678"))
        )

    def test_after_a_failed_status_change_the_retry_adds_no_second_note(self) -> None:
        connector = self.connector(shipment_tracking="no")
        self.emulator.fail_next(503, times=3, method="PUT", path_contains=f"/orders/{self.oid}")
        with self.assertRaises(TransientError):
            connector.upload_shipment(self.order, shipment())
        # The note exists but the order is not completed: the hub must upload again.
        self.assertEqual(len(self.emulator.api_notes(self.oid)), 1)
        self.assertIsNone(connector.find_shipment(self.order, shipment()))
        created = connector.upload_shipment(self.order, shipment())
        [note] = self.emulator.api_notes(self.oid)
        self.assertEqual(created, f"note:{note['id']}")
        self.assertEqual(self.emulator.status_changes, [(self.oid, "processing", "completed")])
        self.assertEqual(connector.find_shipment(self.order, shipment()), created)

    def test_a_second_package_adds_its_note_and_leaves_the_status(self) -> None:
        connector = self.connector(shipment_tracking="no")
        connector.upload_shipment(self.order, shipment())
        connector.upload_shipment(self.order, shipment(tracking_number="1Z999AA10123456795"))
        self.assertEqual(len(self.emulator.api_notes(self.oid)), 2)
        self.assertEqual(len(self.emulator.requests_to("PUT", r"/orders/\d+$")), 1)

    def test_a_cancelled_order_gets_nothing(self) -> None:
        self.emulator.cancel_order(self.oid)
        with self.assertRaises(RecordError) as refused:
            self.connector().upload_shipment(self.order, shipment())
        self.assertEqual(refused.exception.record_ref, str(self.oid))
        self.assertIn("cancelled", str(refused.exception))
        self.assertEqual(self.emulator.api_notes(self.oid), [])
        self.assertEqual(self.emulator.trackings(self.oid), [])

    def test_a_deleted_order_is_a_record_error(self) -> None:
        gone = UploadOrder(source_order_id="999999", order_number="999999", lines=())
        with self.assertRaises(RecordError) as refused:
            self.connector().upload_shipment(gone, shipment())
        self.assertEqual(refused.exception.record_ref, "999999")
        self.assertIsNone(self.connector().find_shipment(gone, shipment()))

    def test_the_emulator_refuses_wrong_bodies(self) -> None:
        self.assertEqual(
            self.store_request("POST", f"/orders/{self.oid}/notes", body={"text": "x"})[0], 400
        )
        self.assertEqual(
            self.store_request("PUT", f"/orders/{self.oid}", body={"status": "shipped"}),
            (400, "rest_invalid_param"),
        )
        self.assertEqual(
            self.store_request(
                "POST",
                f"/orders/{self.oid}/shipment-trackings",
                body={"tracking_provider": "UPS"},
                api=TRACKING_API,
            ),
            (400, "rest_missing_callback_param"),
        )
        status, _ = self.store_request(
            "POST",
            f"/orders/{self.oid}/shipment-trackings",
            body={"tracking_provider": "Ups Freight", "tracking_number": "1"},
            api=TRACKING_API,
        )
        self.assertEqual(status, 400)


class WooCommerceTrackingShipmentTests(WooCommerceTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.payload = self.emulator.add_order()
        self.order = upload_order(self.payload)
        self.oid = self.payload["id"]

    def test_it_uses_the_extension_when_the_store_has_it(self) -> None:
        created = self.connector().upload_shipment(self.order, shipment())
        [tracking] = self.emulator.trackings(self.oid)
        self.assertEqual(created, f"tracking:{tracking['tracking_id']}")
        [sent] = self.emulator.requests_to("POST", "/shipment-trackings$")
        self.assertEqual(
            sent.json(),
            {
                "tracking_number": "1Z999AA10123456784",
                "date_shipped": "2026-04-02",
                "tracking_provider": "UPS",
            },
        )
        self.assertEqual(self.emulator.api_notes(self.oid), [])
        self.assertEqual(self.emulator.status_changes, [(self.oid, "processing", "completed")])
        tracking_call = self.emulator.requests.index(sent)
        status_call = self.emulator.requests.index(
            self.emulator.requests_to("PUT", r"/orders/\d+$")[0]
        )
        self.assertLess(tracking_call, status_call)

    def test_a_carrier_is_matched_to_the_extensions_name(self) -> None:
        self.connector().upload_shipment(self.order, shipment(carrier="FEDEX", scac="FDEG"))
        self.assertEqual(self.emulator.trackings(self.oid)[0]["tracking_provider"], "Fedex")

    def test_an_unknown_carrier_goes_as_a_custom_provider_with_our_link(self) -> None:
        self.connector().upload_shipment(
            self.order,
            shipment(carrier="Acme Freight", scac="ACMF", tracking_url="https://acme.test/t/9"),
        )
        [tracking] = self.emulator.trackings(self.oid)
        self.assertEqual(tracking["custom_tracking_provider"], "Acme Freight")
        self.assertEqual(tracking["tracking_link"], "https://acme.test/t/9")

    def test_find_shipment_finds_the_tracking(self) -> None:
        connector = self.connector()
        self.assertIsNone(connector.find_shipment(self.order, shipment()))
        created = connector.upload_shipment(self.order, shipment())
        self.assertEqual(connector.find_shipment(self.order, shipment()), created)
        connector.upload_shipment(self.order, shipment())  # a retry adds nothing
        self.assertEqual(len(self.emulator.trackings(self.oid)), 1)

    def test_without_the_extension_auto_falls_back_to_a_note(self) -> None:
        self.emulator.shipment_tracking = False
        created = self.connector().upload_shipment(self.order, shipment())
        self.assertTrue(created.startswith("note:"))
        self.assertEqual(len(self.emulator.api_notes(self.oid)), 1)

    def test_always_without_the_extension_says_what_to_do(self) -> None:
        self.emulator.shipment_tracking = False
        with self.assertRaisesMessage(AuthError, "Install and activate Shipment Tracking"):
            self.connector(shipment_tracking="yes").upload_shipment(self.order, shipment())
        self.assertEqual(self.emulator.api_notes(self.oid), [])
        self.assertEqual(self.emulator.status_changes, [])

    def test_never_uses_a_note_even_with_the_extension(self) -> None:
        self.connector(shipment_tracking="no").upload_shipment(self.order, shipment())
        self.assertEqual(self.emulator.trackings(self.oid), [])
        self.assertEqual(len(self.emulator.api_notes(self.oid)), 1)


class WooCommerceShipmentMappingTests(SimpleTestCase):
    """Request bodies and earlier uploads read from payloads, without a store."""

    def test_an_earlier_note_is_found_by_the_whole_tracking_number(self) -> None:
        notes = [
            {"id": 301, "note": "Tracking number: 1Z999AA101234567840."},
            {"id": 302, "note": shipments.tracking_note(shipment())},
        ]
        self.assertEqual(shipments.find_note(notes, "1Z999AA10123456784"), "note:302")
        self.assertIsNone(shipments.find_note(notes[:1], "1Z999AA10123456784"))

    def test_an_earlier_tracking_is_found_by_its_number(self) -> None:
        trackings = [{"tracking_id": "ab12", "tracking_number": " 1Z999AA10123456784 "}]
        self.assertEqual(shipments.find_tracking(trackings, "1Z999AA10123456784"), "tracking:ab12")
        self.assertIsNone(shipments.find_tracking(trackings, "1Z999"))

    def test_a_known_carrier_goes_by_the_extensions_name(self) -> None:
        providers = {"United States": {"Fedex": "https://fedex/%1$s"}}
        body = shipments.tracking_body(shipment(carrier="FEDEX"), providers=providers)
        self.assertEqual(body["tracking_provider"], "Fedex")
        custom = shipments.tracking_body(shipment(carrier="Acme Freight"), providers=providers)
        self.assertEqual(custom["custom_tracking_provider"], "Acme Freight")
        self.assertEqual(custom["date_shipped"], "2026-04-02")

    def test_the_upload_is_finished_once_the_status_is_set(self) -> None:
        self.assertFalse(shipments.upload_finished("processing", ship_status="completed"))
        self.assertTrue(shipments.upload_finished("completed", ship_status="completed"))
        self.assertTrue(shipments.upload_finished("processing", ship_status=""))
        self.assertTrue(shipments.upload_finished("cancelled", ship_status="completed"))
