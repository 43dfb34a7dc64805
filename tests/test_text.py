"""One-line text: e-mail subjects made safe, and the name fields that refuse control characters."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.test import SimpleTestCase

from carts.forms import CartForm
from integration_manager.text import single_line, validate_single_line
from tests.base import BaseTestCase


class SingleLineTests(SimpleTestCase):
    def test_it_turns_control_characters_into_one_space(self) -> None:
        self.assertEqual(single_line("Bob's\r\nBikes"), "Bob's Bikes")
        self.assertEqual(single_line("a\tb\x00c\x85d\u2028e\u2029f"), "a b c d e f")
        self.assertEqual(single_line("\n Acme \n"), "Acme")
        self.assertEqual(single_line("Café “Ünïcode” — ok"), "Café “Ünïcode” — ok")

    def test_the_validator_refuses_them_and_says_what_to_do(self) -> None:
        validate_single_line("Acme Shopify (EU) – #2")
        for value in ["Acme\nShopify", "Acme\rShopify", "Acme\tShopify", "Acme\x07"]:
            with self.subTest(value=value), self.assertRaises(ValidationError) as caught:
                validate_single_line(value)
            self.assertIn("no line breaks", caught.exception.messages[0])


class CartLabelTests(BaseTestCase):
    def form(self, label: str) -> CartForm:
        return CartForm(
            {"merchant": self.bobs_merchant.id, "label": label, "reference_prefix": "BB-"},
            membership=self.alice_membership,
        )

    def test_a_label_with_a_line_break_is_refused(self) -> None:
        form = self.form("Bob's\nweb store")
        self.assertFalse(form.is_valid())
        self.assertIn("no line breaks", form.errors["label"][0])
        self.assertTrue(self.form("Bob's web store").is_valid())
