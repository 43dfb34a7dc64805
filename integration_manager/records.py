"""Plain records that connectors exchange with the hub: never models, never secrets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from integration_manager.connector_errors import RecordError

ZERO = Decimal("0")


@dataclass(frozen=True)
class Address:
    company: str = ""
    first_name: str = ""
    last_name: str = ""
    address_1: str = ""
    address_2: str = ""
    address_3: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    country: str = ""
    phone: str = ""
    email: str = ""

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or self.company

    def as_dict(self) -> dict[str, str]:
        return {key: value for key, value in self.__dict__.items() if value}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Address:
        data = data or {}
        return cls(**{key: str(data.get(key) or "") for key in cls.__dataclass_fields__})

    @classmethod
    def from_payload(
        cls,
        payload: Mapping[str, Any] | None,
        *,
        names: Mapping[str, str] | None = None,
        **given: Any,
    ) -> Address:
        """An address from a vendor's payload: each field read from the key of the same
        name, or the one `names` gives for it (ours -> theirs); `given` values win. Text is
        stripped; a missing value is ""."""
        payload, names = payload or {}, names or {}
        values = {
            field: given[field] if field in given else payload.get(names.get(field, field))
            for field in cls.__dataclass_fields__
        }
        return cls(**{field: str(value or "").strip() for field, value in values.items()})


@dataclass(frozen=True)
class OrderLineRecord:
    """A cart line. price is per unit; discount is per unit pre-tax; addl_discount and tax
    are for the whole line (CartRover's charge definitions)."""

    sku: str
    quantity: Decimal
    price: Decimal = ZERO
    description: str = ""
    source_line_id: str = ""
    discount: Decimal = ZERO
    addl_discount: Decimal = ZERO
    tax: Decimal = ZERO

    @property
    def extended_amount(self) -> Decimal:
        return (self.price - self.discount) * self.quantity


@dataclass(frozen=True)
class OrderRecord:
    """An order as the cart sent it, normalised."""

    source_order_id: str
    order_number: str
    ordered_at: datetime
    updated_at: datetime | None
    ship_to: Address
    bill_to: Address
    lines: tuple[OrderLineRecord, ...]
    ship_code: str = ""
    ship_description: str = ""
    currency: str = "USD"
    sub_total: Decimal | None = None  # None: the sum of the lines' extended amounts
    order_discount: Decimal = ZERO
    sales_tax: Decimal = ZERO
    shipping_handling: Decimal = ZERO
    grand_total: Decimal | None = None  # None: computed from the charges
    notes: str = ""
    canceled: bool = False
    # The order's status in the cart, as the connector's ORDER_STATUSES name it ("" when the
    # cart has none): a cart's download_statuses keep only some.
    cart_status: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class OrderPage:
    """A page of a download: the orders, the records that could not be read, and the cursor
    to resume from once this page is stored."""

    orders: list[OrderRecord]
    failures: list[RecordError] = field(default_factory=list)
    cursor: str | None = None
    # Where the page came from when it is worth a line in the run's log (a file's name).
    source: str = ""


@dataclass(frozen=True)
class MerchantRef:
    """Who an order belongs to at the WMS."""

    id: int
    name: str
    wms_customer_id: str = ""
    # The merchant's settings for the WMS (the connector's merchant_settings_form), e.g.
    # {"facility_id": "1"} or {"folder": "acme"}.
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeliveryLine:
    sku: str
    quantity: Decimal
    price: Decimal = ZERO
    description: str = ""
    line_number: int = 0


@dataclass(frozen=True)
class DeliveryOrder:
    """An order as the WMS receives it: our reference, mapped ship code, WMS SKUs."""

    cust_ref: str
    order_number: str
    order_source: str
    merchant: MerchantRef
    ordered_at: datetime
    ship_to: Address
    bill_to: Address
    ship_code: str
    lines: tuple[DeliveryLine, ...]
    currency: str = "USD"
    sub_total: Decimal = ZERO
    order_discount: Decimal = ZERO
    sales_tax: Decimal = ZERO
    shipping_handling: Decimal = ZERO
    grand_total: Decimal = ZERO
    notes: str = ""


@dataclass(frozen=True)
class DeliveryResult:
    """What the WMS said about one order. ok with a reference, or an error; a permanent
    error needs a person (bad SKU, bad address), a temporary one is retried."""

    cust_ref: str
    ok: bool
    wms_reference: str = ""
    error: str = ""
    permanent: bool = True
    # Why, as a code the hub acts on: "unknown_sku" when the WMS says it lacks a product;
    # empty for anything else it refused.
    code: str = ""
    # With "unknown_sku": the SKUs the WMS does not know, when it names them.
    skus: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShipmentLineRecord:
    sku: str
    quantity: Decimal
    source_line_id: str = ""


@dataclass(frozen=True)
class ShipmentRecord:
    """A package the WMS shipped, named by our order reference."""

    cust_ref: str
    wms_shipment_ref: str
    shipped_at: datetime
    carrier: str = ""
    method: str = ""
    tracking_number: str = ""
    tracking_url: str = ""
    scac: str = ""
    cost: Decimal = ZERO
    lines: tuple[ShipmentLineRecord, ...] = ()


@dataclass
class ShipmentPage:
    """A page of shipments, the records that could not be read (a bad row of a file, with
    where it was), and the cursor to resume from once this page is stored."""

    shipments: list[ShipmentRecord]
    cursor: str | None = None
    failures: list[RecordError] = field(default_factory=list)
    source: str = ""  # as OrderPage.source


@dataclass
class StockPage:
    """A page of stock levels and the ones that could not be read. A connector whose stock
    comes in pieces (files) yields pages; each is stored before the next is read."""

    levels: list[StockLevel]
    failures: list[RecordError] = field(default_factory=list)
    source: str = ""  # as OrderPage.source


@dataclass(frozen=True)
class UploadLine:
    source_line_id: str
    sku: str
    quantity: Decimal


@dataclass(frozen=True)
class UploadOrder:
    """The cart's order a shipment belongs to, as the cart knows it."""

    source_order_id: str
    order_number: str
    lines: tuple[UploadLine, ...]
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StockLevel:
    sku: str
    location_id: str
    available: int
    on_hand: int = 0
    location_name: str = ""
    updated_at: datetime | None = None


@dataclass(frozen=True)
class ShipMethodRecord:
    code: str
    description: str = ""
    carrier: str = ""


@dataclass(frozen=True)
class WebhookNotice:
    """A verified webhook from a cart or a WMS: its delivery id (for de-duplication), its
    topic, and the orders it names (a cart's own order ids; a WMS's, our references). It only
    nudges a run; the run stays the source of truth."""

    delivery_id: str
    topic: str
    source_order_ids: tuple[str, ...] = ()
    # False for a delivery that asks for nothing (a cart testing its webhook address).
    wants_download: bool = True
