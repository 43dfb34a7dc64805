"""Item filters at download: whitelist or blacklist, the line or the whole order."""

from __future__ import annotations

from carts.models import ItemFilterLevel, ItemFilterMode
from inventory.models import ItemFilter
from inventory.rules import ItemFilterRule
from orders.models import Order, OrderLine, SkippedOrder, SkipReason
from tests.rules.support import RulesTestCase, record


class ItemFilterRuleTests(RulesTestCase):
    def test_it_matches_exact_skus_and_prefixes_without_case(self) -> None:
        rule = ItemFilterRule.of(
            mode=ItemFilterMode.BLACKLIST, level="item", entries=["sample-*", "MUG-ENM-WHT", ""]
        )
        self.assertTrue(rule.filters("SAMPLE-RED"))
        self.assertTrue(rule.filters("mug-enm-wht"))
        self.assertTrue(rule.filters(""))  # a blank entry: lines without a SKU
        self.assertFalse(rule.filters("MUG-ENM-WHT-2"))
        whitelist = ItemFilterRule.of(mode=ItemFilterMode.WHITELIST, level="item", entries=["A*"])
        self.assertEqual((whitelist.filters("ABC"), whitelist.filters("BCD")), (False, True))
        off = ItemFilterRule.of(mode=ItemFilterMode.OFF, level="item", entries=["A*"])
        self.assertFalse(off.filters("ABC"))


class ItemFilterDownloadTests(RulesTestCase):
    def use_filter(self, mode: str, level: str, *skus: str) -> None:
        self.set_cart(item_filter_mode=mode, item_filter_level=level)
        for sku in skus:
            ItemFilter.objects.create(
                account=self.alices_account, merchant=self.bobs_merchant, cart=self.cart, sku=sku
            )

    def test_a_blacklist_at_item_level_keeps_the_line_but_does_not_send_it(self) -> None:
        self.use_filter(ItemFilterMode.BLACKLIST, ItemFilterLevel.ITEM, "MUG-*")
        run = self.download(record(1, "TENT-2P-GRN", "MUG-ENM-WHT"))
        order = Order.objects.get()
        lines = {line.sku: line.filtered for line in order.lines.all()}
        self.assertEqual(lines, {"TENT-2P-GRN": False, "MUG-ENM-WHT": True})
        self.assertIn("1 line(s) marked filtered", run.text())
        self.deliver()
        self.assertEqual(self.at_wms(), {"BB-1": [["TENT-2P-GRN", "2"]]})

    def test_a_whitelist_at_item_level_sends_only_the_listed_skus(self) -> None:
        self.use_filter(ItemFilterMode.WHITELIST, ItemFilterLevel.ITEM, "tent-*")
        self.download(record(1, "TENT-2P-GRN", "MUG-ENM-WHT", "TENT-4P-ORG"))
        self.deliver()
        self.assertEqual(self.at_wms(), {"BB-1": [["TENT-2P-GRN", "2"], ["TENT-4P-ORG", "2"]]})

    def test_an_order_whose_every_line_is_filtered_is_skipped(self) -> None:
        self.use_filter(ItemFilterMode.WHITELIST, ItemFilterLevel.ITEM, "TENT-*")
        self.download(record(1, "MUG-ENM-WHT"), record(2, "TENT-2P-GRN"))
        self.assertEqual(list(Order.objects.values_list("source_order_id", flat=True)), ["2"])
        skipped = SkippedOrder.objects.get()
        self.assertEqual((skipped.source_order_id, skipped.reason_code), ("1", SkipReason.FILTERED))
        self.assertIn("MUG-ENM-WHT", skipped.reason)

    def test_a_blacklist_at_order_level_skips_the_order_and_counts_repeats(self) -> None:
        self.use_filter(ItemFilterMode.BLACKLIST, ItemFilterLevel.ORDER, "MUG-ENM-WHT")
        run = self.download(record(1, "TENT-2P-GRN", "MUG-ENM-WHT"), record(2, "TENT-2P-GRN"))
        self.download(record(1, "TENT-2P-GRN", "MUG-ENM-WHT"))
        self.assertEqual(run.skipped, 1)
        skipped = SkippedOrder.objects.get(source_order_id="1")
        self.assertEqual((skipped.count, skipped.order_number), (2, "#1"))
        self.assertEqual(skipped.reason, "The item filter refuses MUG-ENM-WHT.")
        self.assertGreater(skipped.last_seen_at, skipped.first_seen_at)
        self.deliver()
        self.assertEqual(self.at_wms(), {"BB-2": [["TENT-2P-GRN", "2"]]})

    def test_a_whitelist_at_order_level_skips_orders_with_an_unlisted_sku(self) -> None:
        self.use_filter(ItemFilterMode.WHITELIST, ItemFilterLevel.ORDER, "TENT-*")
        self.download(record(1, "TENT-2P-GRN", "MUG-ENM-WHT"), record(2, "TENT-4P-ORG"))
        self.deliver()
        self.assertEqual(self.at_wms(), {"BB-2": [["TENT-4P-ORG", "2"]]})
        self.assertEqual(SkippedOrder.objects.get().source_order_id, "1")
        self.assertFalse(OrderLine.objects.filter(filtered=True).exists())

    def test_an_order_already_loaded_is_never_dropped_by_a_later_filter(self) -> None:
        self.download(record(1, "TENT-2P-GRN", "MUG-ENM-WHT"))
        self.use_filter(ItemFilterMode.BLACKLIST, ItemFilterLevel.ORDER, "MUG-ENM-WHT")
        self.download(record(1, "TENT-2P-GRN", "MUG-ENM-WHT", minutes=5))
        self.assertTrue(Order.objects.filter(source_order_id="1").exists())
        self.assertFalse(SkippedOrder.objects.exists())

    def test_an_order_loaded_after_the_filter_changed_leaves_the_skipped_list(self) -> None:
        self.use_filter(ItemFilterMode.BLACKLIST, ItemFilterLevel.ORDER, "MUG-ENM-WHT")
        self.download(record(1, "MUG-ENM-WHT"))
        self.set_cart(item_filter_mode=ItemFilterMode.OFF)
        self.download(record(1, "MUG-ENM-WHT", minutes=5))
        self.assertTrue(Order.objects.filter(source_order_id="1").exists())
        self.assertFalse(SkippedOrder.objects.exists())
