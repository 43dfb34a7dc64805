"""3PL Warehouse Manager orders against the emulator: create once, lookups, refusals, cancels."""

from __future__ import annotations

from integration_manager.connector_errors import (
    AuthError,
    ConnectorError,
    RecordError,
    TransientError,
)
from tests.support.threepl import (
    QuickThreePLConnector,
    ThreePLTestCase,
    delivery_order,
    merchant,
)


class DeliveryTests(ThreePLTestCase):
    def test_it_creates_the_order_with_our_reference_and_its_routing(self) -> None:
        [result] = self.connector().deliver_orders(
            [delivery_order("HUB-1001", {"BIKE-RED": 2, "HELMET-M": 1}, notes="Leave at door")]
        )
        [order] = self.emulator.orders_with("HUB-1001")
        self.assertEqual((result.ok, result.wms_reference), (True, str(order.id)))
        self.assertEqual((order.customer_id, order.facility_id), (12, 1))
        self.assertEqual(
            order.body["routingInfo"], {"carrier": "UPS", "mode": "03", "scacCode": "UPSN"}
        )
        self.assertEqual(order.body["billingCode"], "Prepaid")
        self.assertEqual(order.body["notes"], "Leave at door")
        self.assertEqual(
            [(item["sku"], item["qty"]) for item in order.items], [("BIKE-RED", 2), ("HELMET-M", 1)]
        )
        [create] = self.emulator.requests_to("POST", r"^/orders$")
        self.assertTrue(create.header("authorization").startswith("Bearer "))
        self.assertEqual(create.header("accept"), "application/hal+json")

    def test_an_order_sent_again_is_answered_from_the_one_there_never_a_second(self) -> None:
        connector = self.connector()
        [first] = connector.deliver_orders([delivery_order("HUB-1001")])
        [again] = connector.deliver_orders([delivery_order("HUB-1001")])
        self.assertEqual((again.ok, again.wms_reference), (True, first.wms_reference))
        self.assertEqual(len(self.emulator.orders_with("HUB-1001")), 1)
        self.assertEqual(self.statuses("POST", r"^/orders$"), [201, 400])  # the Duplicate

    def test_a_create_that_timed_out_after_succeeding_is_found_by_lookup(self) -> None:
        self.emulator.timeout_after_create(1.5)
        connector = self.connector()
        results = connector.deliver_orders([delivery_order("HUB-1"), delivery_order("HUB-2")])
        # No answer for HUB-1: left out, so the hub asks before sending it again.
        self.assertEqual([result.cust_ref for result in results], ["HUB-2"])
        [order] = self.emulator.orders_with("HUB-1")
        self.assertEqual(connector.lookup_order("HUB-1", merchant()), str(order.id))
        self.assertEqual(len(self.emulator.orders_with("HUB-2")), 1)

    def test_a_server_error_after_the_create_leaves_the_order_out(self) -> None:
        self.emulator.error_after_create(500)
        results = self.connector().deliver_orders(
            [delivery_order("HUB-1"), delivery_order("HUB-2")]
        )
        self.assertEqual([result.cust_ref for result in results], ["HUB-2"])
        self.assertEqual(len(self.emulator.orders_with("HUB-1")), 1)

    def test_two_unclear_answers_in_a_row_stop_the_batch(self) -> None:
        self.emulator.timeout_after_create(1.5, times=2)
        orders = [delivery_order(f"HUB-{number}") for number in (1, 2, 3)]
        with self.assertRaises(TransientError) as caught:
            self.connector().deliver_orders(orders)
        self.assertIn("looked up", str(caught.exception))
        self.assertEqual(self.emulator.orders_with("HUB-3"), [])  # never sent

    def test_a_503_means_the_wms_is_down_and_stops_at_once(self) -> None:
        self.emulator.server_error_next(503, path_contains="/orders", method="POST")
        with self.assertRaises(TransientError) as caught:
            self.connector().deliver_orders([delivery_order("HUB-1"), delivery_order("HUB-2")])
        self.assertIn("HTTP 503", str(caught.exception))
        self.assertEqual(len(self.emulator.requests_to("POST", r"^/orders$")), 1)

    def test_an_unknown_sku_is_refused_for_good_with_its_code(self) -> None:
        [result] = self.connector().deliver_orders([delivery_order("HUB-1", {"NOPE-1": 1})])
        self.assertEqual((result.ok, result.permanent, result.code), (False, True, "unknown_sku"))
        self.assertIn("NOPE-1", result.error)
        self.assertIn("product alias", result.error)

    def test_another_refusal_carries_the_wms_own_words(self) -> None:
        [result] = self.connector().deliver_orders(
            [delivery_order("HUB-1", ship_code="Pony Express|Gallop")]
        )
        self.assertEqual((result.ok, result.permanent, result.code), (False, True, ""))
        self.assertIn("ValueNotSupported", result.error)
        self.assertIn("RoutingInfo.Carrier Pony Express", result.error)

    def test_a_merchant_without_wms_settings_fails_its_orders_only(self) -> None:
        unset = merchant(customer_id="", name="Other Outfitters")
        results = self.connector().deliver_orders(
            [delivery_order("HUB-1", to=unset), delivery_order("HUB-2")]
        )
        self.assertEqual(
            [(result.cust_ref, result.ok) for result in results],
            [("HUB-1", False), ("HUB-2", True)],
        )
        self.assertIn("Other Outfitters has no 3PL customer id", results[0].error)
        self.assertIn("merchant's page (WMS settings)", results[0].error)

    def test_a_merchant_without_a_facility_fails_its_orders(self) -> None:
        [result] = self.connector().deliver_orders(
            [delivery_order("HUB-1", to=merchant(facility_id=None))]
        )
        self.assertIn("has no 3PL facility id", result.error)

    def test_a_token_refused_mid_batch_is_replaced_once(self) -> None:
        connector = self.connector()
        connector.deliver_orders([delivery_order("HUB-1")])
        self.emulator.expire_tokens()
        [result] = connector.deliver_orders([delivery_order("HUB-2")])
        self.assertTrue(result.ok)
        self.assertEqual(self.token_requests(), 2)
        self.assertEqual(self.statuses("POST", r"^/orders$"), [201, 401, 201])

    def test_a_user_whose_access_is_gone_is_an_auth_error_after_one_new_token(self) -> None:
        self.emulator.refuse_tokens = True
        with self.assertRaises(AuthError) as caught:
            self.connector().deliver_orders([delivery_order("HUB-1")])
        self.assertIn("HTTP 401", str(caught.exception))
        self.assertEqual(self.token_requests(), 2)
        self.assertEqual(self.emulator.orders_with("HUB-1"), [])

    def test_a_role_the_user_lacks_is_an_auth_error(self) -> None:
        self.emulator.fail_next(
            403,
            body={
                "$type": "WMS.V2.Generic.Models.Exceptions.AuthorizationException, WMS.V2",
                "ErrorCode": "NotAuthorized",
                "Hint": "Role OrderWrite required",
            },
            path_contains="/orders",
        )
        with self.assertRaises(AuthError) as caught:
            self.connector().deliver_orders([delivery_order("HUB-1")])
        self.assertIn("Role OrderWrite required", str(caught.exception))

    def test_a_404_on_create_is_a_wrong_address_not_a_retry(self) -> None:
        self.emulator.fail_next(404, body=b"", path_contains="/orders", method="POST")
        with self.assertRaises(ConnectorError) as caught:
            self.connector().deliver_orders([delivery_order("HUB-1")])
        self.assertNotIsInstance(caught.exception, TransientError)
        self.assertIn("HTTP 404", str(caught.exception))


class LookupTests(ThreePLTestCase):
    def test_a_reference_with_rql_characters_is_found_exactly(self) -> None:
        self.emulator.add_order("HUB", {"PUMP": 1})
        wanted = self.emulator.add_order("HUB;1,(x)=*!%25", {"PUMP": 1})
        self.assertEqual(self.connector().lookup_order("HUB;1,(x)=*!%25", merchant()), str(wanted))

    def test_a_lookup_is_scoped_to_the_merchants_customer(self) -> None:
        self.emulator.add_order("HUB-7", {"PUMP": 1}, customer_id=14)
        self.assertIsNone(self.connector().lookup_order("HUB-7", merchant()))
        self.assertIsNotNone(self.connector().lookup_order("HUB-7", merchant(customer_id="14")))

    def test_a_lookup_of_an_order_never_sent_is_none(self) -> None:
        self.assertIsNone(self.connector().lookup_order("HUB-404", merchant()))

    def test_a_lookup_without_a_customer_says_what_to_fill_in(self) -> None:
        with self.assertRaises(ConnectorError) as caught:
            self.connector().lookup_order("HUB-1", merchant(customer_id=""))
        self.assertIn("WMS settings", str(caught.exception))

    def test_the_plain_json_representation_finds_the_same_order(self) -> None:
        class PlainJsonConnector(QuickThreePLConnector):
            accept = "application/json"

        wanted = self.emulator.add_order("HUB-9", {"PUMP": 1})
        self.assertEqual(
            self.connector(PlainJsonConnector).lookup_order("HUB-9", merchant()), str(wanted)
        )
        _, response = self.emulator.exchanges[-1]
        self.assertIn("ResourceList", response.body)  # it really answered PascalCase


class CancelTests(ThreePLTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.order_id = self.emulator.add_order("HUB-1", {"BIKE-RED": 3})

    def test_it_cancels_an_open_order_with_its_etag(self) -> None:
        before = self.emulator.available(12, 1, "BIKE-RED")
        self.connector().cancel_order("HUB-1", merchant())
        order = self.emulator.order(self.order_id)
        self.assertEqual(order.status, 2)
        self.assertIn("canceled at the store", order.cancel_reason)
        self.assertEqual(self.emulator.available(12, 1, "BIKE-RED"), before + 3)
        self.assertEqual(self.statuses("POST", r"/canceler$"), [204])

    def test_a_stale_etag_is_read_again_once(self) -> None:
        self.emulator.change_after_read(self.order_id)
        self.connector().cancel_order("HUB-1", merchant())
        self.assertEqual(self.statuses("POST", r"/canceler$"), [412, 204])
        self.assertEqual(self.emulator.order(self.order_id).status, 2)

    def test_a_missing_if_match_answer_is_read_again_once(self) -> None:
        self.emulator.fail_next(428, body=b"", path_contains="/canceler")
        self.connector().cancel_order("HUB-1", merchant())
        self.assertEqual(self.statuses("POST", r"/canceler$"), [428, 204])

    def test_an_order_that_keeps_changing_is_tried_again_later(self) -> None:
        self.emulator.change_after_read(self.order_id, times=2)
        with self.assertRaises(TransientError):
            self.connector().cancel_order("HUB-1", merchant())
        self.assertEqual(self.statuses("POST", r"/canceler$"), [412, 412])
        self.assertEqual(self.emulator.order(self.order_id).status, 0)

    def test_a_closed_order_is_refused_with_the_wms_words(self) -> None:
        self.emulator.ship(self.order_id, tracking_number="1Z999AA10000000009")
        with self.assertRaises(RecordError) as caught:
            self.connector().cancel_order("HUB-1", merchant())
        self.assertEqual(caught.exception.record_ref, "HUB-1")
        self.assertIn("OrderConfirmed", str(caught.exception))
        self.assertIn("because it's confirmed", str(caught.exception))

    def test_an_order_canceled_already_is_done(self) -> None:
        connector = self.connector()
        connector.cancel_order("HUB-1", merchant())
        connector.cancel_order("HUB-1", merchant())
        self.assertEqual(self.statuses("POST", r"/canceler$"), [204])

    def test_an_order_the_wms_does_not_have_is_done(self) -> None:
        self.connector().cancel_order("HUB-404", merchant())
        self.assertEqual(self.emulator.requests_to("POST", r"/canceler$"), [])
