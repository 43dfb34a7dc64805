from __future__ import annotations

import re

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, Role, User
from tests.base import PASSWORD, BaseTestCase


def link_in(message: mail.EmailMessage) -> str:
    return re.search(r"https?://\S+", message.body).group(0).split("8000", 1)[1]


class InvitationTests(BaseTestCase):
    def invite(self, **data: str) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(reverse("user_invite"), data)
        self.assertRedirects(response, reverse("user_list"))
        self.client.logout()

    def test_a_new_person_joins_as_staff(self) -> None:
        self.invite(email="sam@example.org", role="staff")
        response = self.client.post(
            link_in(mail.outbox[0]),
            {"password1": "forklift-safety-1", "password2": "forklift-safety-1"},
        )
        self.assertRedirects(response, reverse("dashboard"))
        membership = Membership.objects.get(user__email="sam@example.org")
        self.assertEqual((membership.account, membership.role), (self.alices_account, Role.STAFF))
        self.assertIsNotNone(Invitation.objects.get().accepted_at)
        # The link works once.
        again = self.client.get(link_in(mail.outbox[0]))
        self.assertEqual(again.status_code, 404)
        self.assertContains(again, "does not work", status_code=404)

    def test_an_existing_user_logs_in_then_joins(self) -> None:
        self.invite(email="charlie@example.org", role="staff")
        link = link_in(mail.outbox[0])
        self.assertContains(self.client.get(link), "Log in to accept")
        self.client.force_login(self.charlie)
        self.client.post(link)
        self.assertTrue(
            Membership.objects.filter(
                user=self.charlie, account=self.alices_account, role="staff"
            ).exists()
        )
        # charlie keeps his own account too
        self.assertTrue(
            Membership.objects.filter(user=self.charlie, account=self.charlies_account).exists()
        )

    def test_a_merchant_user_invitation_needs_a_merchant(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(
            reverse("user_invite"), {"email": "m@example.org", "role": "merchant_user"}
        )
        self.assertContains(response, "Choose the merchant")
        self.assertFalse(Invitation.objects.exists())

    def test_another_accounts_merchant_cannot_be_chosen(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(
            reverse("user_invite"),
            {
                "email": "m@example.org",
                "role": "merchant_user",
                "merchant": self.charlies_merchant.id,
            },
        )
        self.assertContains(response, "Select a valid choice")
        self.assertFalse(Invitation.objects.exists())

    def test_a_revoked_or_expired_invitation_does_not_work(self) -> None:
        self.invite(email="late@example.org", role="staff")
        link = link_in(mail.outbox[0])
        invitation = Invitation.objects.get()
        Invitation.objects.filter(id=invitation.id).update(expires_at=timezone.now())
        self.assertEqual(self.client.get(link).status_code, 404)
        Invitation.objects.filter(id=invitation.id).update(
            expires_at=timezone.now() + timezone.timedelta(days=1), revoked_at=timezone.now()
        )
        self.assertEqual(self.client.get(link).status_code, 404)
        self.assertFalse(User.objects.filter(email="late@example.org").exists())

    def test_resend_makes_a_new_link_and_kills_the_old_one(self) -> None:
        self.invite(email="again@example.org", role="staff")
        old_link = link_in(mail.outbox[0])
        self.client.force_login(self.alice)
        self.client.post(reverse("invitation_resend", args=[Invitation.objects.get().id]))
        new_link = link_in(mail.outbox[1])
        self.client.logout()
        self.assertNotEqual(old_link, new_link)
        self.assertEqual(self.client.get(old_link).status_code, 404)
        self.assertEqual(self.client.get(new_link).status_code, 200)

    def test_revoke_from_the_users_page(self) -> None:
        self.invite(email="gone@example.org", role="staff")
        self.client.force_login(self.alice)
        self.client.post(
            reverse("invitation_revoke", args=[Invitation.objects.get().id]), follow=True
        )
        self.assertIsNotNone(Invitation.objects.get().revoked_at)
        self.assertNotContains(self.client.get(reverse("user_list")), "gone@example.org")

    def test_the_invitation_password_is_validated(self) -> None:
        self.invite(email="weak@example.org", role="staff")
        response = self.client.post(
            link_in(mail.outbox[0]), {"password1": "abc", "password2": "abc"}
        )
        self.assertContains(response, "too short")
        self.assertFalse(User.objects.filter(email="weak@example.org").exists())


class RoleTests(BaseTestCase):
    def test_alice_changes_bob_to_staff(self) -> None:
        self.client.force_login(self.alice)
        url = reverse("membership_edit", args=[self.bob_membership.id])
        self.client.post(url, {"role": "staff"})
        self.bob_membership.refresh_from_db()
        self.assertEqual((self.bob_membership.role, self.bob_membership.merchant), ("staff", None))

    def test_the_last_admin_stays_admin(self) -> None:
        self.client.force_login(self.alice)
        url = reverse("membership_edit", args=[self.alice_membership.id])
        response = self.client.post(url, {"role": "staff"})
        self.assertContains(response, "at least one admin")
        response = self.client.post(
            reverse("membership_remove", args=[self.alice_membership.id]), follow=True
        )
        self.assertContains(response, "at least one admin")
        self.alice_membership.refresh_from_db()
        self.assertEqual(self.alice_membership.role, "admin")

    def test_removing_a_user_ends_their_access(self) -> None:
        self.client.force_login(self.alice)
        self.client.post(reverse("membership_remove", args=[self.bob_membership.id]))
        self.assertFalse(Membership.objects.filter(id=self.bob_membership.id).exists())
        self.client.force_login(self.bob)
        self.assertRedirects(self.client.get(reverse("dashboard")), reverse("no_account"))

    def test_only_admins_manage_users(self) -> None:
        for user in (self.create_staff(), self.bob):
            self.client.force_login(user)
            self.assertEqual(self.client.get(reverse("user_list")).status_code, 403)
            self.assertEqual(
                self.client.post(
                    reverse("user_invite"), {"email": "x@example.org", "role": "admin"}
                ).status_code,
                403,
            )
        self.assertFalse(Invitation.objects.exists())

    def test_users_page_lists_only_this_account(self) -> None:
        self.client.force_login(self.alice)
        page = self.client.get(reverse("user_list"))
        self.assertContains(page, "bob@example.org")
        self.assertNotContains(page, "charlie@example.org")


class AccountSwitchTests(BaseTestCase):
    def test_a_user_in_two_accounts_switches_between_them(self) -> None:
        Membership.objects.create(user=self.charlie, account=self.alices_account, role="staff")
        self.client.login(email="charlie@example.org", password=PASSWORD)
        self.assertContains(self.client.get(reverse("dashboard")), "Charlie&#x27;s Fulfillment")
        self.client.post(reverse("account_switch"), {"account_id": self.alices_account.id})
        self.assertContains(self.client.get(reverse("dashboard")), "Alice&#x27;s 3PL")

    def test_an_account_id_that_is_not_a_number_is_404_not_500(self) -> None:
        self.client.force_login(self.charlie)
        for value in ["abc", "", "1.5", "²", "99999999999999999999999", "-1"]:
            with self.subTest(account_id=value):
                response = self.client.post(reverse("account_switch"), {"account_id": value})
                self.assertEqual(response.status_code, 404)
        self.assertEqual(self.client.post(reverse("account_switch")).status_code, 404)

    def test_switching_to_a_foreign_account_is_404(self) -> None:
        self.client.force_login(self.charlie)
        response = self.client.post(
            reverse("account_switch"), {"account_id": self.alices_account.id}
        )
        self.assertEqual(response.status_code, 404)
