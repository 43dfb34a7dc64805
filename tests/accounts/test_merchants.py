from __future__ import annotations

from django.core import mail
from django.urls import reverse

from accounts.models import Invitation, Merchant
from tests.base import BaseTestCase


class MerchantScreenTests(BaseTestCase):
    def test_alice_creates_a_merchant_and_sees_it_listed(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(
            reverse("merchant_create"),
            {"name": "Cora's Coffee", "wms_customer_id": "C-17", "is_active": "on"},
        )
        merchant = Merchant.objects.get(name="Cora's Coffee")
        self.assertRedirects(response, reverse("merchant_edit", args=[merchant.id]))
        self.assertEqual(merchant.account, self.alices_account)
        self.assertEqual(merchant.wms_customer_id, "C-17")
        listing = self.client.get(reverse("merchant_list"))
        self.assertContains(listing, "Cora&#x27;s Coffee")
        self.assertNotContains(listing, "Charlie&#x27;s Candles")

    def test_set_up_merchant_user_sends_an_invitation(self) -> None:
        self.client.force_login(self.alice)
        self.client.post(
            reverse("merchant_create"),
            {
                "name": "Dune Surf",
                "is_active": "on",
                "set_up_user": "on",
                "user_email": "Owner@Dune.example",
            },
        )
        merchant = Merchant.objects.get(name="Dune Surf")
        invitation = Invitation.objects.get(account=self.alices_account, email="owner@dune.example")
        self.assertEqual(invitation.role, "merchant_user")
        self.assertEqual(invitation.merchant, merchant)
        self.assertEqual(mail.outbox[0].to, ["owner@dune.example"])
        self.assertIn("/invitations/", mail.outbox[0].body)

    def test_bad_input_saves_nothing(self) -> None:
        self.client.force_login(self.alice)
        cases = [
            ({"name": ""}, "This field is required"),
            ({"name": "Bob's Bikes"}, "already exists"),
            ({"name": "New One", "set_up_user": "on", "user_email": ""}, "Enter the e-mail"),
            ({"name": "New Two", "set_up_user": "on", "user_email": "nope"}, "Enter a valid email"),
            # Names go into alert e-mail subjects, where a newline stops the e-mail.
            ({"name": "New\nThree"}, "no line breaks"),
            ({"name": "New Four", "wms_customer_id": "B\r1"}, "no line breaks"),
        ]
        for data, message in cases:
            with self.subTest(data=data):
                response = self.client.post(reverse("merchant_create"), data)
                self.assertContains(response, message)
        self.assertEqual(Merchant.objects.filter(account=self.alices_account).count(), 2)
        self.assertFalse(Invitation.objects.exists())

    def test_alice_edits_a_merchant(self) -> None:
        self.client.force_login(self.alice)
        url = reverse("merchant_edit", args=[self.bobs_merchant.id])
        response = self.client.post(url, {"name": "Bob's Bicycles", "wms_customer_id": "B1"})
        self.assertRedirects(response, reverse("merchant_list"))
        self.bobs_merchant.refresh_from_db()
        self.assertEqual(self.bobs_merchant.name, "Bob's Bicycles")
        self.assertFalse(self.bobs_merchant.is_active)

    def test_a_name_with_a_control_character_is_refused_on_edit(self) -> None:
        self.client.force_login(self.alice)
        url = reverse("merchant_edit", args=[self.bobs_merchant.id])
        response = self.client.post(url, {"name": "Bob's\tBikes\n", "is_active": "on"})
        self.assertContains(response, "no line breaks")
        self.bobs_merchant.refresh_from_db()
        self.assertEqual(self.bobs_merchant.name, "Bob's Bikes")

    def test_a_duplicate_name_on_edit_is_refused(self) -> None:
        self.client.force_login(self.alice)
        url = reverse("merchant_edit", args=[self.bobs_merchant.id])
        response = self.client.post(url, {"name": "other outfitters", "is_active": "on"})
        self.assertContains(response, "already exists")
        self.bobs_merchant.refresh_from_db()
        self.assertEqual(self.bobs_merchant.name, "Bob's Bikes")

    def test_the_merchant_page_invites_a_merchant_user(self) -> None:
        self.client.force_login(self.alice)
        url = reverse("merchant_invite", args=[self.other_merchant.id])
        response = self.client.post(url, {"email": "olga@outfitters.example"}, follow=True)
        self.assertContains(response, "Invitation sent to olga@outfitters.example")
        self.assertContains(response, "olga@outfitters.example")
        self.assertEqual(Invitation.objects.get().merchant, self.other_merchant)

    def test_inviting_an_existing_user_of_the_account_is_refused(self) -> None:
        self.client.force_login(self.alice)
        url = reverse("merchant_invite", args=[self.other_merchant.id])
        response = self.client.post(url, {"email": "bob@example.org"}, follow=True)
        self.assertContains(response, "already a user of this account")
        self.assertFalse(Invitation.objects.exists())

    def test_staff_see_merchants_but_cannot_change_them(self) -> None:
        self.client.force_login(self.create_staff())
        self.assertContains(self.client.get(reverse("merchant_list")), "Bob&#x27;s Bikes")
        self.assertEqual(self.client.get(reverse("merchant_create")).status_code, 403)
        url = reverse("merchant_edit", args=[self.bobs_merchant.id])
        self.assertEqual(self.client.post(url, {"name": "Hijack"}).status_code, 403)

    def test_merchant_users_have_no_merchant_screens(self) -> None:
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(reverse("merchant_list")).status_code, 403)
        self.assertEqual(self.client.get(reverse("merchant_create")).status_code, 403)
