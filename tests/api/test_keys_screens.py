"""The API key screens: a merchant's keys, the global keys, an API Access cart's pair."""

from __future__ import annotations

from django.test import override_settings

from api.keys import api_access_cart_create, api_credential_check, api_credential_issue
from api.models import ApiCredential, ApiLevel
from tests.base import PASSWORD, BaseTestCase
from tests.objects import create_cart


@override_settings(ROOT_URLCONF="tests.api.screen_test_urls")
class MerchantKeysTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.url = f"/merchants/{self.bobs_merchant.id}/api-keys/"

    def log_in(self, user) -> None:  # type: ignore[no-untyped-def]
        self.client.login(username=user.email, password=PASSWORD)

    def test_it_creates_a_key_and_shows_it_once(self) -> None:
        self.log_in(self.bob)
        response = self.client.post(self.url, {"name": "ERP"})
        credential = ApiCredential.objects.get(merchant=self.bobs_merchant)
        self.assertEqual(
            (credential.level, credential.name, credential.created_by),
            (ApiLevel.MERCHANT, "ERP", self.bob),
        )
        api_key = response.context["issued"].api_key
        self.assertEqual(api_credential_check(credential.api_user, api_key), credential)
        self.assertContains(response, api_key)
        self.assertContains(response, "will not show it again")
        again = self.client.get(self.url)
        self.assertNotContains(again, api_key)
        self.assertContains(again, credential.api_user)
        self.assertContains(again, f"{credential.key_hint}…")

    def test_a_name_is_required(self) -> None:
        self.log_in(self.alice)
        response = self.client.post(self.url, {"name": ""})
        self.assertContains(response, "This field is required")
        self.assertFalse(ApiCredential.objects.exists())

    def test_it_revokes_a_key(self) -> None:
        issued = api_credential_issue(
            account=self.alices_account,
            level=ApiLevel.MERCHANT,
            name="ERP",
            merchant=self.bobs_merchant,
        )
        self.log_in(self.alice)
        response = self.client.post(f"{self.url}{issued.credential.id}/revoke/", follow=True)
        self.assertContains(response, "revoked: calls with it are refused")
        self.assertIsNone(api_credential_check(issued.credential.api_user, issued.api_key))
        self.assertNotContains(response, f"{issued.credential.id}/revoke/")  # no button left

    def test_it_lists_only_this_merchants_keys(self) -> None:
        api_credential_issue(
            account=self.alices_account,
            level=ApiLevel.MERCHANT,
            name="Other's ERP",
            merchant=self.other_merchant,
        )
        api_credential_issue(
            account=self.alices_account, level=ApiLevel.WAREHOUSE, name="Global key for Zeta"
        )
        api_credential_issue(
            account=self.alices_account,
            level=ApiLevel.MERCHANT,
            name="Bob's ERP",
            merchant=self.bobs_merchant,
        )
        self.log_in(self.alice)
        response = self.client.get(self.url)
        self.assertContains(response, "Bob&#x27;s ERP")
        self.assertNotContains(response, "Other&#x27;s ERP")
        self.assertNotContains(response, "Global key for Zeta")

    def test_it_checks_ownership(self) -> None:
        issued = api_credential_issue(
            account=self.alices_account,
            level=ApiLevel.MERCHANT,
            name="Other's ERP",
            merchant=self.other_merchant,
        )
        other_url = f"/merchants/{self.other_merchant.id}/api-keys/"
        self.log_in(self.bob)
        self.assertEqual(self.client.get(other_url).status_code, 404)
        self.assertEqual(self.client.post(other_url, {"name": "x"}).status_code, 404)
        revoke = f"{other_url}{issued.credential.id}/revoke/"
        self.assertEqual(self.client.post(revoke).status_code, 404)
        # bob's own merchant in the URL does not reach the other merchant's key either.
        self.assertEqual(
            self.client.post(f"{self.url}{issued.credential.id}/revoke/").status_code, 404
        )
        self.log_in(self.charlie)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.client.post(revoke).status_code, 404)
        self.assertIsNotNone(api_credential_check(issued.credential.api_user, issued.api_key))
        self.assertEqual(ApiCredential.objects.count(), 1)

    def test_staff_may_not_manage_keys(self) -> None:
        self.log_in(self.create_staff())
        self.assertEqual(self.client.get(self.url).status_code, 403)


@override_settings(ROOT_URLCONF="tests.api.screen_test_urls")
class AccountKeysTests(BaseTestCase):
    url = "/account/api-keys/"

    def test_an_admin_creates_and_revokes_a_global_key(self) -> None:
        self.client.login(username=self.alice.email, password=PASSWORD)
        response = self.client.post(self.url, {"name": "Our WMS"})
        credential = ApiCredential.objects.get()
        self.assertEqual(
            (credential.level, credential.account, credential.merchant),
            (ApiLevel.WAREHOUSE, self.alices_account, None),
        )
        self.assertContains(response, response.context["issued"].api_key)
        self.assertContains(response, f"<code>{self.other_merchant.id}</code>", html=False)
        self.client.post(f"{self.url}{credential.id}/revoke/")
        credential.refresh_from_db()
        self.assertIsNotNone(credential.revoked_at)

    def test_merchant_users_may_not_see_global_keys(self) -> None:
        self.client.login(username=self.bob.email, password=PASSWORD)
        self.assertEqual(self.client.get(self.url).status_code, 403)
        self.assertFalse(ApiCredential.objects.exists())

    def test_it_checks_ownership(self) -> None:
        issued = api_credential_issue(
            account=self.alices_account, level=ApiLevel.WAREHOUSE, name="Alice's WMS"
        )
        self.client.login(username=self.charlie.email, password=PASSWORD)
        self.assertNotContains(self.client.get(self.url), "Alice&#x27;s WMS")
        response = self.client.post(f"{self.url}{issued.credential.id}/revoke/")
        self.assertEqual(response.status_code, 404)
        self.assertIsNotNone(api_credential_check(issued.credential.api_user, issued.api_key))


@override_settings(ROOT_URLCONF="tests.api.screen_test_urls")
class CartApiTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.cart, self.issued = api_access_cart_create(merchant=self.bobs_merchant)
        self.url = f"/carts/{self.cart.id}/api/"

    def test_it_shows_the_pair_without_the_key(self) -> None:
        self.client.login(username=self.bob.email, password=PASSWORD)
        response = self.client.get(self.url)
        self.assertContains(response, self.issued.credential.api_user)
        self.assertContains(response, "API Access")
        self.assertNotContains(response, self.issued.api_key)

    def test_generating_stops_the_old_key_at_once(self) -> None:
        self.client.login(username=self.bob.email, password=PASSWORD)
        response = self.client.post(self.url)
        new = response.context["issued"]
        self.assertContains(response, new.api_key)
        self.assertIsNone(
            api_credential_check(self.issued.credential.api_user, self.issued.api_key)
        )
        self.assertEqual(api_credential_check(new.credential.api_user, new.api_key).cart, self.cart)

    def test_only_an_api_access_cart_has_a_pair(self) -> None:
        other = create_cart(self.bobs_merchant)
        self.client.login(username=self.alice.email, password=PASSWORD)
        response = self.client.post(f"/carts/{other.id}/api/", follow=True)
        self.assertRedirects(response, f"/carts/{other.id}/")
        self.assertContains(response, "Only an API Access cart has its own API user and key")
        self.assertFalse(ApiCredential.objects.filter(cart=other).exists())

    def test_it_checks_ownership(self) -> None:
        other_cart, _ = api_access_cart_create(merchant=self.other_merchant)
        self.client.login(username=self.bob.email, password=PASSWORD)
        self.assertEqual(self.client.post(f"/carts/{other_cart.id}/api/").status_code, 404)
        self.client.login(username=self.charlie.email, password=PASSWORD)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.client.post(self.url).status_code, 404)
        self.assertIsNotNone(
            api_credential_check(self.issued.credential.api_user, self.issued.api_key)
        )
