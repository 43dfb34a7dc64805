from __future__ import annotations

import re

from django.core import mail
from django.urls import reverse

from tests.base import BaseTestCase


class PasswordResetTests(BaseTestCase):
    def test_it_mails_a_link_that_sets_a_new_password(self) -> None:
        response = self.client.post(reverse("password_reset"), {"email": "alice@example.org"})
        self.assertRedirects(response, reverse("password_reset_done"))
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(mail.outbox[0].to, ["alice@example.org"])
        link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
        path = link.split("testserver", 1)[1]
        form_page = self.client.get(path, follow=True)
        self.assertContains(form_page, "Choose a new password")
        response = self.client.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": "a-brand-new-pass-9", "new_password2": "a-brand-new-pass-9"},
        )
        self.assertRedirects(response, reverse("password_reset_complete"))
        self.assertTrue(self.client.login(email="alice@example.org", password="a-brand-new-pass-9"))

    def test_an_unknown_address_gets_the_same_answer_and_no_mail(self) -> None:
        response = self.client.post(reverse("password_reset"), {"email": "nobody@example.org"})
        self.assertRedirects(response, reverse("password_reset_done"))
        self.assertEqual(mail.outbox, [])

    def test_a_used_link_says_it_no_longer_works(self) -> None:
        response = self.client.get(reverse("password_reset_confirm", args=["MQ", "bad-token"]))
        self.assertContains(response, "This link no longer works")
