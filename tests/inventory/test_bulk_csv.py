"""Bulk CSV of aliases, kits and item filters: preview, per-row errors, import, export."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.bulk_csv import BULK_KINDS, MAX_UPLOAD_BYTES, bulk_preview
from inventory.models import ItemFilter, KitComponent, ProductAlias
from orders.models import HoldReason, OrderStatus
from tests.base import BaseTestCase
from tests.objects import create_cart, create_order

ALIAS_FILE = (
    "alias,sku,kind\n"  # line 1
    "BB-TENT,TENT-2P-GRN,sku\n"  # 2: add
    "BB-STOVE,STOVE-NEW,upc\n"  # 3: update (was STOVE-OLD)
    "BB-MAT,MAT-1,sku\n"  # 4: unchanged
    "BB-ONLY\n"  # 5: missing column
    ",LAMP-1,sku\n"  # 6: empty alias
    "BB-LAMP,LAMP-1,barcode\n"  # 7: unknown kind
    "\n"  # 8: blank, no row
    "BB-TENT,TENT-OTHER,sku\n"  # 9: duplicate of line 2
    '"BB-\nQUOTED",QUOTED-1,Merchant SKU\n'  # 10-11: one record over two lines: add
    "BB-ASIN,B00ASIN,ASIN\n"  # 12: add, kind by its label
)


def upload(text: str, name: str = "aliases.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


class BulkCsvPreviewTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        for alias, sku in [("BB-STOVE", "STOVE-OLD"), ("BB-MAT", "MAT-1"), ("BB-KEEP", "K-1")]:
            ProductAlias.objects.create(
                account=self.alices_account, merchant=self.bobs_merchant, alias=alias, sku=sku
            )

    def test_each_bad_row_has_its_line_and_reason(self) -> None:
        preview = bulk_preview(
            kind=BULK_KINDS["aliases"], owner=self.bobs_merchant, text=ALIAS_FILE
        )
        self.assertEqual(
            [(row.line, row.reason) for row in preview.bad],
            [
                (5, "missing column “sku”: the row has fewer values than the header"),
                (6, "empty alias"),
                (7, "unknown kind “barcode”: use one of sku, upc, asin, merchant_sku"),
                (9, "duplicate of line 2 in this file"),
            ],
        )
        self.assertEqual(
            [(row.line, row.values["alias"], row.values["kind"]) for row in preview.to_add],
            [(2, "BB-TENT", "sku"), (10, "BB-\nQUOTED", "merchant_sku"), (12, "BB-ASIN", "asin")],
        )
        self.assertEqual(
            [(row.line, row.before) for row in preview.to_update], [(3, "→ STOVE-OLD (SKU)")]
        )
        self.assertEqual([row.line for row in preview.unchanged], [4])
        # A preview writes nothing.
        self.assertEqual(ProductAlias.objects.count(), 3)

    def test_kit_rows_are_checked(self) -> None:
        text = (
            "kit_sku,component_sku,quantity\n"
            "CAMP-SET,TENT-2P-GRN,1\n"
            "CAMP-SET,STAKE-AL,eight\n"
            "CAMP-SET,CAMP-SET,1\n"
            "CAMP-SET,MAT-1,0\n"
            "CAMP-SET,LAMP-1,2.5\n"
            "CAMP-SET,STAKE-AL,8\n"
        )
        preview = bulk_preview(kind=BULK_KINDS["kits"], owner=self.bobs_merchant, text=text)
        self.assertEqual(
            [(row.line, row.reason) for row in preview.bad],
            [
                (3, "quantity “eight” is not a whole number"),
                (4, "a kit cannot contain itself (CAMP-SET)"),
                (5, "quantity 0 is less than 1"),
                (6, "quantity “2.5” is not a whole number"),
            ],
        )
        self.assertEqual([row.line for row in preview.to_add], [2, 7])

    def test_a_header_without_a_required_column_is_refused_whole(self) -> None:
        response = self.post_file("alias;sku;kind\nA;B;sku\n")
        self.assertContains(
            response, "it has no alias, sku column. Separate the columns with commas."
        )
        response = self.post_file("")
        self.assertContains(response, "The submitted file is empty.")
        self.assertFalse(self.client.session.get(self.session_key()))

    def test_a_file_over_the_cap_is_refused(self) -> None:
        response = self.post_file("alias,sku\n" + "A,B\n" * (MAX_UPLOAD_BYTES // 4 + 1))
        self.assertContains(response, "larger than 2 MB")
        self.assertIsNone(self.client.session.get(self.session_key()))

    def post_file(self, text: str):  # type: ignore[no-untyped-def]
        self.client.force_login(self.alice)
        url = reverse("alias_import", args=[self.bobs_merchant.id])
        return self.client.post(url, {"file": upload(text)})

    def session_key(self) -> str:
        return f"bulk_csv:aliases:Merchant:{self.bobs_merchant.id}"


class BulkCsvImportTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        for alias, sku in [("BB-STOVE", "STOVE-OLD"), ("BB-MAT", "MAT-1"), ("BB-KEEP", "K-1")]:
            ProductAlias.objects.create(
                account=self.alices_account, merchant=self.bobs_merchant, alias=alias, sku=sku
            )
        self.url = reverse("alias_import", args=[self.bobs_merchant.id])

    def test_the_good_rows_import_the_bad_ones_are_reported_and_nothing_is_lost(self) -> None:
        cart = create_cart(self.bobs_merchant, prefix="BOB-")
        held = create_order(
            cart, skus=("BB-TENT",), status=OrderStatus.ERROR, error_code=HoldReason.UNKNOWN_SKU
        )
        self.client.force_login(self.bob)
        preview = self.client.post(self.url, {"file": upload(ALIAS_FILE)})
        self.assertContains(preview, "Preview of aliases.csv")
        self.assertContains(preview, "Import 4 rows")
        self.assertContains(
            preview, '<td class="count-cell">7</td><td>Unknown kind “barcode”', html=False
        )
        self.assertEqual(ProductAlias.objects.count(), 3)  # nothing yet
        digest = preview.context["kept"]["digest"]

        response = self.client.post(self.url, {"stage": "apply", "digest": digest})
        self.assertContains(
            response,
            "Imported aliases.csv: 3 added, 1 updated, 1 unchanged. 4 bad rows were not "
            "imported (lines 5, 6, 7, 9)",
        )
        self.assertContains(response, "1 held order goes to the WMS now.")
        aliases = dict(
            ProductAlias.objects.filter(merchant=self.bobs_merchant).values_list("alias", "sku")
        )
        self.assertEqual(
            aliases,
            {
                "BB-TENT": "TENT-2P-GRN",
                "BB-STOVE": "STOVE-NEW",
                "BB-MAT": "MAT-1",
                "BB-KEEP": "K-1",  # not in the file: kept
                "BB-\nQUOTED": "QUOTED-1",
                "BB-ASIN": "B00ASIN",
            },
        )
        self.assertEqual(
            set(ProductAlias.objects.values_list("account_id", flat=True)),
            {self.alices_account.id},
        )
        held.refresh_from_db()
        self.assertEqual(held.status, OrderStatus.NEW)
        # The upload is used once: a second click imports nothing twice.
        again = self.client.post(self.url, {"stage": "apply", "digest": digest}, follow=True)
        self.assertContains(again, "That upload is no longer here")

    def test_a_digest_that_is_not_the_kept_upload_imports_nothing(self) -> None:
        self.client.force_login(self.alice)
        self.client.post(self.url, {"file": upload(ALIAS_FILE)})
        response = self.client.post(self.url, {"stage": "apply", "digest": "0" * 64}, follow=True)
        self.assertContains(response, "That upload is no longer here")
        self.assertEqual(ProductAlias.objects.count(), 3)

    def test_an_export_imports_back_unchanged(self) -> None:
        ProductAlias.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            alias='Odd, "quoted"',
            sku="ODD-1",
            kind=ProductAlias.Kind.UPC,
        )
        ProductAlias.objects.create(
            account=self.alices_account, merchant=self.other_merchant, alias="OO-HAT", sku="H"
        )
        self.client.force_login(self.alice)
        response = self.client.get(reverse("alias_export", args=[self.bobs_merchant.id]))
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        self.assertIn("attachment; filename=", response["Content-Disposition"])
        text = b"".join(response.streaming_content).decode()
        self.assertEqual(text.splitlines()[0], "alias,sku,kind")
        self.assertNotIn("OO-HAT", text)
        preview = self.client.post(self.url, {"file": upload(text)})
        self.assertEqual(len(preview.context["preview"].unchanged), 4)
        self.assertEqual(preview.context["preview"].to_apply, [])
        self.assertEqual(preview.context["preview"].bad, [])
        self.assertContains(preview, "Nothing to import")

    def test_kits_import_and_release_orders_held_for_the_kit(self) -> None:
        cart = create_cart(self.bobs_merchant, prefix="BOB-")
        held = create_order(
            cart, skus=("CAMP-SET",), status=OrderStatus.ERROR, error_code=HoldReason.UNKNOWN_SKU
        )
        self.client.force_login(self.alice)
        url = reverse("kit_import", args=[self.bobs_merchant.id])
        text = (
            "Kit_SKU, Component_SKU ,quantity\n"
            "CAMP-SET,TENT,1\nCAMP-SET,STAKE,x\nCAMP-SET,STAKE,8\n"
        )
        preview = self.client.post(url, {"file": upload(text, "kits.csv")})
        self.assertContains(preview, "Import 2 rows")
        response = self.client.post(
            url, {"stage": "apply", "digest": preview.context["kept"]["digest"]}
        )
        self.assertContains(
            response, "2 added, 0 updated, 0 unchanged. 1 bad row was not imported (line 3)"
        )
        self.assertEqual(
            set(KitComponent.objects.values_list("kit_sku", "component_sku", "quantity")),
            {("CAMP-SET", "TENT", 1), ("CAMP-SET", "STAKE", 8)},
        )
        held.refresh_from_db()
        self.assertEqual(held.status, OrderStatus.NEW)

    def test_item_filters_import_per_cart(self) -> None:
        cart = create_cart(self.bobs_merchant, prefix="BOB-")
        ItemFilter.objects.create(
            account=self.alices_account, merchant=self.bobs_merchant, cart=cart, sku="GIFT"
        )
        self.client.force_login(self.bob)
        url = reverse("item_filter_import", args=[cart.id])
        text = "sku\nGIFT\nSAMPLE-*\nBAD*SKU\n\n   \nFREE\n"
        preview = self.client.post(url, {"file": upload(text, "filters.csv")})
        self.assertEqual([row.line for row in preview.context["preview"].bad], [4])
        self.assertContains(preview, "A * may only end a prefix, as in SAMPLE-*")
        self.client.post(url, {"stage": "apply", "digest": preview.context["kept"]["digest"]})
        self.assertEqual(
            set(ItemFilter.objects.filter(cart=cart).values_list("sku", flat=True)),
            {"GIFT", "SAMPLE-*", "FREE"},
        )
        export = self.client.get(reverse("item_filter_export", args=[cart.id]))
        self.assertEqual(
            b"".join(export.streaming_content).decode().split(), ["sku", "FREE", "GIFT", "SAMPLE-*"]
        )

    def test_it_checks_ownership(self) -> None:
        cart = create_cart(self.other_merchant, prefix="OO-")
        self.client.force_login(self.alice)
        self.client.post(self.url, {"file": upload(ALIAS_FILE)})  # alice's own session
        other_urls = [
            reverse("alias_import", args=[self.other_merchant.id]),
            reverse("kit_import", args=[self.other_merchant.id]),
            reverse("kit_export", args=[self.other_merchant.id]),
            reverse("item_filter_import", args=[cart.id]),
            reverse("item_filter_export", args=[cart.id]),
        ]
        self.client.force_login(self.bob)
        for url in other_urls:
            self.assertEqual(self.client.get(url).status_code, 404, url)
            self.assertEqual(self.client.post(url, {"file": upload("sku\nA\n")}).status_code, 404)
        self.client.force_login(self.charlie)
        for url in [self.url, *other_urls]:
            self.assertEqual(self.client.get(url).status_code, 404, url)
            response = self.client.post(url, {"stage": "apply", "digest": "x"})
            self.assertEqual(response.status_code, 404, url)
        self.assertEqual(ProductAlias.objects.count(), 3)
        self.assertFalse(ItemFilter.objects.exists())
