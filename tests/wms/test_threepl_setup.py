"""3PL Warehouse Manager set-up: its forms, the carrier list as ship methods, merchant choices."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import QueryDict
from django.test import SimpleTestCase

from integration_manager.connectors import ConnectorSettingsForm
from tests.support.forms import form_values
from tests.support.threepl import QuickThreePLConnector, ThreePLTestCase, delivery_order
from wms.connectors.registry import WMS_CONNECTORS
from wms.connectors.threepl.connector import ThreePLConnector
from wms.connectors.threepl.forms import ThreePLMerchantForm

TPL = "1A2B3C4D-5E6F-4A8B-9C0D-1E2F3A4B5C6D"


class ShipMethodTests(ThreePLTestCase):
    def test_each_active_carrier_service_is_a_ship_method(self) -> None:
        methods = self.connector().fetch_ship_methods()
        self.assertEqual(
            [(method.code, method.description, method.carrier) for method in methods],
            [
                ("UPS|03|Prepaid|UPSN", "UPS Ground (Prepaid)", "UPS"),
                ("UPS|02|Prepaid|UPSN", "UPS 2nd Day Air (Prepaid)", "UPS"),
                ("FedEx|FEDEX_GROUND|Prepaid|FDEG", "FedEx Ground (Prepaid)", "FedEx"),
                (
                    "FedEx|PRIORITY_OVERNIGHT|Prepaid|FDEG",
                    "FedEx Priority Overnight (Prepaid)",
                    "FedEx",
                ),
                ("USPS|Priority|Prepaid|USPS", "US Postal Service Priority Mail (Prepaid)", "USPS"),
            ],
        )

    def test_the_default_billing_code_is_used_where_a_carrier_has_it(self) -> None:
        methods = self.connector(default_billing_code="BillThirdParty").fetch_ship_methods()
        codes = {method.carrier: method.code.split("|")[2] for method in methods}
        self.assertEqual(codes, {"UPS": "BillThirdParty", "FedEx": "Prepaid", "USPS": "Prepaid"})

    def test_every_ship_method_is_taken_by_the_wms_on_an_order(self) -> None:
        connector = self.connector()
        methods = connector.fetch_ship_methods()
        results = connector.deliver_orders(
            [
                delivery_order(f"HUB-{number}", ship_code=method.code)
                for number, method in enumerate(methods)
            ]
        )
        self.assertEqual([result.error for result in results], [""] * len(methods))
        created = self.emulator.orders_with("HUB-2")[0].body
        self.assertEqual(
            (created["routingInfo"], created["billingCode"]),
            ({"carrier": "FedEx", "mode": "FEDEX_GROUND", "scacCode": "FDEG"}, "Prepaid"),
        )


class PlainJsonTests(ThreePLTestCase):
    def test_the_plain_json_representation_gives_the_same_methods_and_choices(self) -> None:
        class PlainJsonConnector(QuickThreePLConnector):
            accept = "application/json"

        plain = self.connector(PlainJsonConnector)
        self.assertEqual(plain.fetch_ship_methods(), self.connector().fetch_ship_methods())
        self.assertEqual(plain.merchant_options(), self.connector().merchant_options())
        answered = [response.body for _, response in self.emulator.exchanges]
        self.assertTrue(any("ResourceList" in body for body in answered if isinstance(body, dict)))


class MerchantOptionsTests(ThreePLTestCase):
    def test_customers_and_facilities_come_from_the_wms(self) -> None:
        options = self.connector().merchant_options()
        self.assertEqual(
            options["customer_id"], [("12", "Bob's Bikes (12)"), ("14", "Other Outfitters (14)")]
        )
        self.assertEqual(
            options["facility_id"],
            [("2", "East Annex (2)"), ("1", "Main Warehouse (1)"), ("3", "West Dock (3)")],
        )

    def test_many_customers_are_read_in_pages_within_the_limit(self) -> None:
        for number in range(130):
            self.emulator.add_customer(1000 + number, f"Shop {number:03d}", facilities=[1])
        options = self.connector().merchant_options()
        self.assertEqual(len(options["customer_id"]), 132)
        sizes = [
            request.arg("pgsiz") for request in self.emulator.requests_to("GET", r"^/customers$")
        ]
        self.assertEqual(sizes, ["100", "100"])

    def test_the_connector_declares_its_merchant_settings(self) -> None:
        self.assertIs(WMS_CONNECTORS.get("threepl"), ThreePLConnector)
        self.assertIs(ThreePLConnector.merchant_settings_form, ThreePLMerchantForm)
        self.assertTrue(ThreePLConnector.supports("merchant_options"))


class SettingsFormTests(SimpleTestCase):
    def form(self, **data: object) -> ConnectorSettingsForm:
        values = {
            "client_id": "client-id-0001",
            "client_secret": "client-secret-0001",
            "user_login": "hub-api-user",
            "tpl": "",
            "default_billing_code": "Prepaid",
            "base_url": "",
        }
        values.update(data)
        return ThreePLConnector.form(
            QueryDict(urlencode({f"settings-{k}": v for k, v in values.items()}))
        )

    def test_it_splits_settings_from_secrets(self) -> None:
        form = self.form(tpl="{" + TPL + "}")
        self.assertTrue(form.is_valid(), form.errors)
        self.assertEqual(
            form.settings_data(),
            {
                "user_login": "hub-api-user",
                "tpl": TPL,
                "default_billing_code": "Prepaid",
                "base_url": "https://secure-wms.com",
            },
        )
        self.assertEqual(
            form.secrets_data(),
            {"client_id": "client-id-0001", "client_secret": "client-secret-0001"},
        )

    def test_a_3pl_key_that_is_no_guid_is_refused(self) -> None:
        form = self.form(tpl="warehouse-7")
        self.assertFalse(form.is_valid())
        self.assertIn("looks like", form.errors["tpl"][0])

    def test_an_address_that_is_not_https_is_refused(self) -> None:
        form = self.form(base_url="ftp://secure-wms.com")
        self.assertFalse(form.is_valid())
        self.assertIn("base_url", form.errors)

    def test_secrets_are_write_only(self) -> None:
        form = ThreePLConnector.form(
            saved_settings={"user_login": "hub-api-user"},
            saved_secrets=("client_id", "client_secret"),
        )
        self.assertNotIn("client-secret-0001", form.as_p())
        self.assertFalse(form.fields["client_secret"].required)

    def test_an_unchanged_edit_saves_the_same_settings(self) -> None:
        saved = {
            "user_login": "hub-api-user",
            "tpl": TPL,
            "default_billing_code": "BillThirdParty",
            "base_url": "https://secure-wms.com",
        }
        shown = ThreePLConnector.form(
            saved_settings=saved, saved_secrets=("client_id", "client_secret")
        )
        page = f'<form method="post">{shown.as_p()}</form>'
        posted = ThreePLConnector.form(
            QueryDict(urlencode(form_values(page, containing="settings-user_login"), doseq=True)),
            saved_settings=saved,
            saved_secrets=("client_id", "client_secret"),
        )
        self.assertTrue(posted.is_valid(), posted.errors)
        self.assertEqual(posted.settings_data(), saved)
        self.assertEqual(posted.secrets_data(), {})

    def test_another_address_asks_for_the_credentials_again(self) -> None:
        saved = {"user_login": "hub-api-user", "base_url": "https://secure-wms.com"}
        posted = ThreePLConnector.form(
            QueryDict(
                urlencode(
                    {
                        "settings-user_login": "hub-api-user",
                        "settings-default_billing_code": "Prepaid",
                        "settings-base_url": "https://box.secure-wms.com",
                    }
                )
            ),
            saved_settings=saved,
            saved_secrets=("client_id", "client_secret"),
        )
        self.assertFalse(posted.is_valid())
        self.assertIn("address changed", posted.errors["client_secret"][0])


class MerchantFormTests(SimpleTestCase):
    def test_ids_are_whole_numbers(self) -> None:
        form = ThreePLMerchantForm(data={"customer_id": " 12 ", "facility_id": "1"})
        self.assertTrue(form.is_valid(), form.errors)
        self.assertEqual(form.cleaned_data, {"customer_id": "12", "facility_id": "1"})
        form = ThreePLMerchantForm(data={"customer_id": "Bob's Bikes", "facility_id": ""})
        self.assertFalse(form.is_valid())
        self.assertEqual(set(form.errors), {"customer_id", "facility_id"})
