"""The order rules: item filters, load options, aliases and kits, read for a run or a batch."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Value

from carts.models import CartConnection, ItemFilterLevel, ItemFilterMode
from integration_manager.records import OrderRecord
from inventory.models import ItemFilter, KitComponent, ProductAlias
from orders.models import SkipReason

# Only these alias kinds are a cart's own SKU; a UPC or an ASIN is never what a cart's
# inventory is keyed on.
CART_SKU_KINDS = (ProductAlias.Kind.SKU, ProductAlias.Kind.MERCHANT_SKU)


@dataclass(frozen=True)
class ItemFilterRule:
    """A cart's item filter list: exact SKUs and prefixes (an entry ending in *), compared
    without regard to case; a blank entry stands for lines that have no SKU."""

    mode: str = ItemFilterMode.OFF
    level: str = ItemFilterLevel.ITEM
    exact: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    @classmethod
    def of(cls, *, mode: str, level: str, entries: Iterable[str]) -> ItemFilterRule:
        exact, prefixes = set(), []
        for entry in entries:
            value = entry.strip().lower()
            if value.endswith("*"):
                prefixes.append(value[:-1])
            else:
                exact.add(value)
        return cls(mode=mode, level=level, exact=frozenset(exact), prefixes=tuple(prefixes))

    def listed(self, sku: str) -> bool:
        value = sku.strip().lower()
        return value in self.exact or any(value.startswith(prefix) for prefix in self.prefixes)

    def filters(self, sku: str) -> bool:
        """Whether this SKU is filtered out: not on a whitelist, or on a blacklist."""
        if self.mode == ItemFilterMode.WHITELIST:
            return not self.listed(sku)
        if self.mode == ItemFilterMode.BLACKLIST:
            return self.listed(sku)
        return False


@dataclass(frozen=True)
class Skip:
    """Why an order is not loaded: a SkipReason code and words for people."""

    code: str
    reason: str


@dataclass(frozen=True)
class CartRules:
    """What a download of one cart checks each order against."""

    item_filter: ItemFilterRule = field(default_factory=ItemFilterRule)
    # None: the connector declares no statuses, so every status is loaded.
    statuses: frozenset[str] | None = None
    earliest: datetime | None = None

    def lines_filtered(self, record: OrderRecord) -> list[bool]:
        return [self.item_filter.filters(line.sku) for line in record.lines]

    def lines_kept_filtered(self, record: OrderRecord) -> list[bool]:
        """Which stored lines are marked filtered: only a filter at item level marks lines
        (at order level the order is skipped, or was loaded before the filter)."""
        if self.item_filter.level != ItemFilterLevel.ITEM:
            return [False] * len(record.lines)
        return self.lines_filtered(record)

    def skip_for(self, record: OrderRecord) -> Skip | None:
        """Why this order (not loaded yet) is not to be loaded; None to load it."""
        if self.earliest is not None and record.ordered_at < self.earliest:
            return Skip(
                SkipReason.BEFORE_EARLIEST,
                f"Placed {record.ordered_at:%Y-%m-%d}, before the cart's earliest order date "
                f"({self.earliest:%Y-%m-%d}).",
            )
        # A cancellation always comes down: it stops an order the hub may already hold.
        if (
            self.statuses is not None
            and record.cart_status
            and not record.canceled
            and record.cart_status not in self.statuses
        ):
            return Skip(
                SkipReason.STATUS,
                f"Its status in the cart, “{record.cart_status}”, is not one the cart "
                "downloads. Add the status to the cart's load options to load such orders.",
            )
        return self._filter_skip(record)

    def _filter_skip(self, record: OrderRecord) -> Skip | None:
        flags = self.lines_filtered(record)
        if not any(flags):
            return None
        pairs = zip(record.lines, flags, strict=True)
        hits = [line.sku or "(no SKU)" for line, hit in pairs if hit]
        skus = ", ".join(dict.fromkeys(hits))
        if self.item_filter.level == ItemFilterLevel.ORDER:
            return Skip(SkipReason.FILTERED, f"The item filter refuses {skus}.")
        if all(flags):
            return Skip(SkipReason.FILTERED, f"Every item is filtered by the item filter: {skus}.")
        return None


def cart_rules_load(
    *,
    cart: CartConnection,
    statuses: Sequence[tuple[str, str]] = (),
    default_statuses: Sequence[str] = (),
) -> CartRules:
    """The cart's filter list and load options, read once for a download run.

    statuses and default_statuses are the connector's ORDER_STATUSES and DEFAULT_STATUSES; a
    connector that declares none gets no status check.
    """
    entries: list[str] = []
    if cart.item_filter_mode != ItemFilterMode.OFF:
        entries = list(ItemFilter.objects.filter(cart_id=cart.id).values_list("sku", flat=True))
    allowed = None
    if statuses:
        allowed = frozenset(cart.download_statuses or default_statuses)
    return CartRules(
        item_filter=ItemFilterRule.of(
            mode=cart.item_filter_mode, level=cart.item_filter_level, entries=entries
        ),
        statuses=allowed,
        earliest=earliest_order_start(cart),
    )


def earliest_order_start(cart: CartConnection) -> datetime | None:
    """The start of the earliest order date's day in the account's time zone."""
    if cart.earliest_order_date is None:
        return None
    return datetime.combine(
        cart.earliest_order_date, time.min, tzinfo=ZoneInfo(cart.account.timezone or "UTC")
    )


@dataclass(frozen=True)
class MerchantRules:
    """A merchant's aliases (cart code to WMS SKU) and kits (kit SKU to its components)."""

    aliases: Mapping[str, str] = field(default_factory=dict)
    kits: Mapping[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)

    def wms_sku(self, sku: str, *, translate: bool) -> str:
        return self.aliases.get(sku, sku) if translate else sku

    def components(self, sku: str) -> tuple[tuple[str, int], ...]:
        """The kit's (component SKU, quantity per kit); empty when the SKU is no kit."""
        return self.kits.get(sku, ())


def merchant_rules_load(*, merchant_id: int, aliases: bool = True) -> MerchantRules:
    """The merchant's aliases and kits in one query (a delivery reads them per batch)."""
    rows = (
        KitComponent.objects.filter(merchant_id=merchant_id)
        .annotate(rule=Value("kit"))
        .values_list("rule", "kit_sku", "component_sku", "quantity")
        .order_by()  # SQLite takes no ORDER BY inside a UNION; sorted below
    )
    if aliases:
        rows = rows.union(
            ProductAlias.objects.filter(merchant_id=merchant_id)
            .annotate(rule=Value("alias"), quantity=Value(0))
            .values_list("rule", "alias", "sku", "quantity")
            .order_by(),
            all=True,
        )
    alias_map: dict[str, str] = {}
    kits: dict[str, list[tuple[str, int]]] = {}
    for rule, key, sku, quantity in sorted(rows):
        if rule == "alias":
            alias_map[key] = sku
        else:
            kits.setdefault(key, []).append((sku, quantity))
    return MerchantRules(aliases=alias_map, kits={sku: tuple(parts) for sku, parts in kits.items()})


def cart_skus_by_wms_sku(*, merchant_id: int) -> dict[str, list[str]]:
    """The cart SKUs (aliases of kind SKU or merchant SKU) that point at each WMS SKU."""
    found: dict[str, list[str]] = {}
    for alias, sku in (
        ProductAlias.objects.filter(merchant_id=merchant_id, kind__in=CART_SKU_KINDS)
        .order_by("alias")
        .values_list("alias", "sku")
    ):
        found.setdefault(sku, []).append(alias)
    return found


def kit_available(components: Sequence[tuple[str, int]], available: Mapping[str, int]) -> int:
    """How many whole kits the components' stock makes."""
    if not components:
        return 0
    return max(0, min(available.get(sku, 0) // quantity for sku, quantity in components))


def kits_complete(
    components: Sequence[tuple[Hashable, Decimal | int]], shipped: Mapping[Hashable, Decimal]
) -> Decimal:
    """How many whole kits these shipped component quantities make."""
    if not components:
        return Decimal(0)
    return max(
        Decimal(0),
        min(Decimal(shipped.get(sku, 0)) // Decimal(quantity) for sku, quantity in components),
    )
