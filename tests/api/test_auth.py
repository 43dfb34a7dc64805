"""api_endpoint: who may call, as whom, and what the request log keeps."""

from __future__ import annotations

from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from accounts.models import Account
from api.endpoints import PROCESS_ID_HEADER, WRONG_CREDENTIALS
from api.keys import api_credential_issue, api_credential_touch
from api.models import ApiCredential, ApiLevel
from tests.api import probe_urls
from tests.api.calls import api_get, basic
from tests.base import BaseTestCase
from tests.objects import create_cart

WHOAMI = "/v1/probe/whoami"


@override_settings(ROOT_URLCONF="tests.api.probe_urls")
class ApiAuthTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        probe_urls.CALLS.clear()
        self.merchant_key = api_credential_issue(
            account=self.alices_account,
            level=ApiLevel.MERCHANT,
            name="Bob's ERP",
            merchant=self.bobs_merchant,
        )
        self.warehouse_key = api_credential_issue(
            account=self.alices_account, level=ApiLevel.WAREHOUSE, name="Alice's WMS"
        )

    def assert_refused(self, response, code: str = "Invalid") -> dict:  # type: ignore[no-untyped-def]
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertIs(body["success_code"], False)
        self.assertEqual(body["error_code"], code)
        self.assertEqual(probe_urls.CALLS, [])
        self.assertTrue(response[PROCESS_ID_HEADER])
        return body

    def test_it_answers_a_merchant_key_with_its_merchant(self) -> None:
        response = api_get(self.client, WHOAMI, self.merchant_key)
        body = response.json()
        self.assertIs(body["success_code"], True)
        self.assertEqual(
            body["response"],
            {"account": self.alices_account.id, "merchant": self.bobs_merchant.id, "cart": None},
        )
        self.assertEqual(len(response[PROCESS_ID_HEADER]), 32)

    def test_it_refuses_a_wrong_key(self) -> None:
        authorization = basic(self.merchant_key.credential.api_user, "not-the-key")
        body = self.assert_refused(
            self.client.get(WHOAMI, headers={"Authorization": authorization})
        )
        self.assertEqual(body["message"], WRONG_CREDENTIALS)

    def test_it_answers_an_unknown_user_as_a_wrong_key(self) -> None:
        authorization = basic("hub_nobody", self.merchant_key.api_key)
        body = self.assert_refused(
            self.client.get(WHOAMI, headers={"Authorization": authorization})
        )
        self.assertEqual(body["message"], WRONG_CREDENTIALS)

    def test_it_refuses_a_revoked_key(self) -> None:
        ApiCredential.objects.filter(id=self.merchant_key.credential.id).update(
            revoked_at=timezone.now()
        )
        self.assert_refused(api_get(self.client, WHOAMI, self.merchant_key))

    def test_it_refuses_a_key_of_an_account_being_deleted(self) -> None:
        Account.objects.filter(id=self.merchant_key.credential.account_id).update(
            deletion_requested_at=timezone.now()
        )
        self.assert_refused(api_get(self.client, WHOAMI, self.merchant_key))

    def test_it_refuses_a_call_without_credentials(self) -> None:
        body = self.assert_refused(self.client.get(WHOAMI))
        self.assertIn("HTTP Basic", body["message"])

    def test_it_takes_the_legacy_query_parameters(self) -> None:
        credential = self.merchant_key.credential
        response = self.client.get(
            WHOAMI, {"api_user": credential.api_user, "api_key": self.merchant_key.api_key}
        )
        self.assertEqual(response.json()["response"]["merchant"], self.bobs_merchant.id)
        probe_urls.CALLS.clear()
        wrong = self.client.get(WHOAMI, {"api_user": credential.api_user, "api_key": "wrong"})
        self.assert_refused(wrong)

    def test_it_refuses_a_level_the_endpoint_does_not_take(self) -> None:
        body = self.assert_refused(
            api_get(self.client, "/v1/probe/merchant-only", self.warehouse_key)
        )
        self.assertIn("warehouse key cannot call", body["message"])

    def test_it_refuses_a_method_the_endpoint_does_not_take(self) -> None:
        authorization = basic(self.merchant_key.credential.api_user, self.merchant_key.api_key)
        response = self.client.delete(WHOAMI, headers={"Authorization": authorization})
        self.assertIn("takes GET", self.assert_refused(response)["message"])

    def test_a_warehouse_key_acts_for_the_merchant_it_names(self) -> None:
        response = api_get(
            self.client,
            WHOAMI,
            self.warehouse_key,
            **{"X-Merchant-Pk": str(self.other_merchant.id)},
        )
        self.assertEqual(response.json()["response"]["merchant"], self.other_merchant.id)

    def test_a_warehouse_key_cannot_name_another_accounts_merchant(self) -> None:
        response = api_get(
            self.client,
            WHOAMI,
            self.warehouse_key,
            **{"X-Merchant-Pk": str(self.charlies_merchant.id)},
        )
        body = self.assert_refused(response)
        self.assertIn("is not a merchant of this account", body["message"])

    def test_a_warehouse_key_must_name_a_merchant(self) -> None:
        body = self.assert_refused(api_get(self.client, WHOAMI, self.warehouse_key))
        self.assertIn("X-Merchant-Pk", body["message"])

    def test_a_cart_key_reaches_its_cart(self) -> None:
        cart = create_cart(self.bobs_merchant)
        issued = api_credential_issue(
            account=self.alices_account,
            level=ApiLevel.CART,
            name="cart",
            merchant=self.bobs_merchant,
            cart=cart,
        )
        body = api_get(self.client, WHOAMI, issued).json()
        self.assertEqual(body["response"]["cart"], cart.id)

    def test_another_accounts_key_never_reaches_this_account(self) -> None:
        charlies = api_credential_issue(
            account=self.charlies_account,
            level=ApiLevel.MERCHANT,
            name="Charlie",
            merchant=self.charlies_merchant,
        )
        body = api_get(self.client, WHOAMI, charlies).json()
        self.assertEqual(body["response"]["account"], self.charlies_account.id)
        self.assertEqual(body["response"]["merchant"], self.charlies_merchant.id)

    def test_a_fault_is_a_500_envelope_with_the_process_id(self) -> None:
        with self.assertLogs("api.endpoints", "ERROR"):
            response = api_get(self.client, "/v1/probe/broken", self.merchant_key)
        self.assertEqual(response.status_code, 500)
        self.assertIn(response[PROCESS_ID_HEADER], response.json()["message"])


@override_settings(ROOT_URLCONF="tests.api.probe_urls")
class ApiRequestLogTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.issued = api_credential_issue(
            account=self.alices_account,
            level=ApiLevel.MERCHANT,
            name="Bob's ERP",
            merchant=self.bobs_merchant,
        )

    def test_it_logs_each_request_without_the_key(self) -> None:
        credential = self.issued.credential
        authorization = basic(credential.api_user, self.issued.api_key)
        with self.assertLogs("api", "INFO") as logs:
            ok = self.client.get(WHOAMI, headers={"Authorization": authorization})
            self.client.get(
                WHOAMI, {"api_user": credential.api_user, "api_key": self.issued.api_key}
            )
            self.client.get(WHOAMI, {"api_user": credential.api_user, "api_key": "wrong-guess"})
        text = "\n".join(logs.output)
        self.assertIn(f"API GET {WHOAMI} process={ok[PROCESS_ID_HEADER]}", text)
        self.assertIn('credential="Bob\'s ERP"', text)
        self.assertIn("outcome=ok", text)
        self.assertIn("outcome=Invalid: The API user or key is wrong", text)
        for secret in (self.issued.api_key, authorization, authorization.split()[1], "wrong-guess"):
            self.assertNotIn(secret, text)

    def test_it_updates_last_used_at_at_most_once_a_minute(self) -> None:
        credential = self.issued.credential
        api_get(self.client, WHOAMI, self.issued)
        credential.refresh_from_db()
        first = credential.last_used_at
        self.assertIsNotNone(first)
        api_get(self.client, WHOAMI, self.issued)
        credential.refresh_from_db()
        self.assertEqual(credential.last_used_at, first)
        later = first + timedelta(seconds=61)
        self.assertTrue(api_credential_touch(credential=credential, now=later))
        self.assertFalse(api_credential_touch(credential=credential, now=later))
        credential.refresh_from_db()
        self.assertEqual(credential.last_used_at, later)
