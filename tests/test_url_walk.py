"""Every URL with an object id: charlie gets 404 on alice's objects, bob on the other merchant's."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Invitation, Membership, User
from accounts.services import invitation_create
from alerts.models import Alert, AlertRecipient
from api.keys import api_credential_issue
from api.models import ApiLevel
from carts.models import CartConnection
from inventory.models import ItemFilter, Location, ProductAlias
from jobs.models import JobRun
from tests.base import BaseTestCase
from tests.objects import create_cart, create_order, create_wms
from wms.models import WmsShipMethod

# Parameters that are not object ids (one-time tokens) and the admin, which is for superusers.
NOT_OBJECT_PARAMS = {"uidb64", "token"}
# Parameters that name a kind of thing, not an object: any valid value will do.
FIXED_PARAMS = {"action": "resend", "connector_key": "sandbox"}
SKIPPED_NAMESPACES = {"admin"}


def object_url_patterns() -> Iterator[tuple[str, list[str]]]:
    """(qualified URL name, parameter names) of every named pattern with parameters."""

    def walk(patterns: list, namespace: str | None) -> Iterator[tuple[str, list[str]]]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace in SKIPPED_NAMESPACES:
                    continue
                inner = entry.namespace if entry.namespace else namespace
                if namespace and entry.namespace:
                    inner = f"{namespace}:{entry.namespace}"
                yield from walk(entry.url_patterns, inner)
            # The API answers key pairs, not sessions: tests/api walks each endpoint's tenancy.
            elif isinstance(entry, URLPattern) and entry.name and not entry.name.startswith("api_"):
                params = list(entry.pattern.converters)
                if set(params) - NOT_OBJECT_PARAMS - set(FIXED_PARAMS):
                    name = f"{namespace}:{entry.name}" if namespace else entry.name
                    yield name, params

    yield from walk(get_resolver().url_patterns, None)


class EveryUrlMixin:
    """One of alice's objects for every URL parameter, and one of the other merchant's."""

    def create_objects_for_every_url(self) -> None:
        # Each parameter maps to one of alice's objects (for the charlie walk) and to one of
        # the other merchant's objects in alice's account (for the bob walk).
        self.alice_objects: dict[str, Callable[[], int]] = {}
        self.other_merchant_objects: dict[str, Callable[[], int]] = {}
        other_merchant_user = User.objects.create_user(email="olga@example.org", password="x")
        bob_membership_of_other = Membership.objects.create(
            user=other_merchant_user,
            account=self.alices_account,
            role="merchant_user",
            merchant=self.other_merchant,
        )
        self.register("merchant_id", self.bobs_merchant.id, self.other_merchant.id)
        self.register("membership_id", self.bob_membership.id, bob_membership_of_other.id)
        invitation, _ = invitation_create(
            account=self.alices_account,
            email="new.merchant.user@example.org",
            role="merchant_user",
            merchant=self.other_merchant,
            invited_by=self.alice,
        )
        self.register("invitation_id", invitation.id, invitation.id)
        # The order loop's objects: alice's account has a WMS, each merchant a cart.
        create_wms(self.alices_account)
        self.bobs_cart = bobs_cart = create_cart(self.bobs_merchant, prefix="BOB-")
        other_cart = create_cart(self.other_merchant, prefix="OTH-")
        self.register("cart_id", bobs_cart.id, other_cart.id)
        bobs_order = create_order(bobs_cart, status="error", error_reason="test")
        other_order = create_order(other_cart, status="error", error_reason="test")
        self.register("order_id", bobs_order.id, other_order.id)
        self.register(
            "schedule_id",
            bobs_cart.schedules.first().id,
            other_cart.schedules.first().id,
        )
        bobs_run = JobRun.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            cart=bobs_cart,
            service="order_download",
            trigger="manual",
        )
        other_run = JobRun.objects.create(
            account=self.alices_account,
            merchant=self.other_merchant,
            cart=other_cart,
            service="order_download",
            trigger="manual",
        )
        self.register("job_run_id", bobs_run.id, other_run.id)
        bobs_alert = Alert.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            kind="k",
            subject="b",
            key="b",
            message="m",
        )
        other_alert = Alert.objects.create(
            account=self.alices_account,
            merchant=self.other_merchant,
            kind="k",
            subject="o",
            key="o",
            message="m",
        )
        self.register("alert_id", bobs_alert.id, other_alert.id)
        method = WmsShipMethod.objects.create(account=self.alices_account, code="UPS-GND")
        self.register("ship_method_id", method.id, method.id)
        self.register_rules_and_recipients(bobs_cart, other_cart)

    def register_rules_and_recipients(
        self, bobs_cart: CartConnection, other_cart: CartConnection
    ) -> None:
        aliases = [
            ProductAlias.objects.create(
                account=self.alices_account, merchant=merchant, alias="CART-1", sku="WMS-1"
            )
            for merchant in (self.bobs_merchant, self.other_merchant)
        ]
        self.register("alias_id", aliases[0].id, aliases[1].id)
        filters = [
            ItemFilter.objects.create(
                account=self.alices_account, merchant=cart.merchant, cart=cart, sku="SAMPLE-*"
            )
            for cart in (bobs_cart, other_cart)
        ]
        self.register("filter_id", filters[0].id, filters[1].id)
        # Extra alert addresses are the account admins' to manage: bob reaches none of them.
        recipients = [
            AlertRecipient.objects.create(
                account=self.alices_account, merchant=merchant, email=f"{name}@example.org"
            )
            for name, merchant in (("all", None), ("other", self.other_merchant))
        ]
        self.register("recipient_id", recipients[0].id, recipients[1].id)
        # Every merchant has its default location from the start.
        defaults = [
            Location.objects.get(merchant=merchant, is_default=True).id
            for merchant in (self.bobs_merchant, self.other_merchant)
        ]
        self.register("location_id", *defaults)
        keys = [
            api_credential_issue(
                account=self.alices_account, level=ApiLevel.MERCHANT, name="WMS", merchant=merchant
            ).credential.id
            for merchant in (self.bobs_merchant, self.other_merchant)
        ]
        self.register("credential_id", *keys)

    def url_for_every_pattern(self, objects: dict[str, int]) -> list[str]:
        return [self.url_for(name, params, objects) for name, params in object_url_patterns()]

    def register(self, param: str, alice_id: int, other_merchant_id: int | None) -> None:
        self.alice_objects[param] = alice_id
        if other_merchant_id is not None:
            self.other_merchant_objects[param] = other_merchant_id

    def url_for(self, name: str, params: list[str], objects: dict[str, int]) -> str:
        missing = [param for param in params if param not in objects and param not in FIXED_PARAMS]
        self.assertFalse(
            missing,
            f"{name} takes {missing}: add an object for it in tests/test_url_walk.py",
        )
        values = {**FIXED_PARAMS, **objects}
        return reverse(name, kwargs={param: values[param] for param in params})


class UrlWalkTests(EveryUrlMixin, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.create_objects_for_every_url()

    def test_it_walks_some_urls(self) -> None:
        names = [name for name, _ in object_url_patterns()]
        for name in (
            "merchant_edit",
            "invitation_revoke",
            "cart_detail",
            "cart_edit",
            "order_detail",
            "order_action",
            "schedule_run",
            "job_run_detail",
            "alert_dismiss",
            "wms_ship_method_delete",
            "cart_ship_methods",
        ):
            self.assertIn(name, names)

    def test_alice_reaches_her_objects(self) -> None:
        # So that charlie's 404 means "not yours", not "broken".
        self.client.force_login(self.alice)
        for name, params in object_url_patterns():
            url = self.url_for(name, params, self.alice_objects)
            response = self.client.get(url)
            self.assertIn(response.status_code, (200, 302, 405), f"alice GET {url}")
            self.assertNotEqual(response.status_code, 404, f"alice GET {url}")

    def test_charlie_gets_404_for_every_object_of_alice(self) -> None:
        self.client.force_login(self.charlie)
        for name, params in object_url_patterns():
            url = self.url_for(name, params, self.alice_objects)
            get = self.client.get(url)
            post = self.client.post(url, {})
            self.assertIn(get.status_code, (404, 405), f"charlie GET {url}")
            self.assertEqual(post.status_code, 404, f"charlie POST {url}")

    def test_bob_never_reaches_the_other_merchant(self) -> None:
        self.client.force_login(self.bob)
        for name, params in object_url_patterns():
            objects = {**self.alice_objects, **self.other_merchant_objects}
            url = self.url_for(name, params, objects)
            for response in (self.client.get(url), self.client.post(url, {})):
                self.assertIn(response.status_code, (403, 404, 405), f"bob {url}")

    def test_invitation_state_is_untouched_by_charlie(self) -> None:
        self.client.force_login(self.charlie)
        invitation_id = self.alice_objects["invitation_id"]
        self.client.post(reverse("invitation_revoke", args=[invitation_id]))
        self.assertIsNone(Invitation.objects.get(id=invitation_id).revoked_at)
