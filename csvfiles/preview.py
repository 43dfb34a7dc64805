"""The sample order, shipment and stock the format editor shows a file of, and that preview."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from csvfiles.formats import (
    ENCODINGS,
    INVENTORY,
    ORDERS,
    SHIPMENTS,
    CsvFormat,
    inventory_to_csv,
    orders_to_csv,
    shipments_to_csv,
    table_rows,
)
from integration_manager.records import (
    Address,
    DeliveryLine,
    DeliveryOrder,
    MerchantRef,
    ShipmentLineRecord,
    ShipmentRecord,
    StockLevel,
)

# A realistic order with what trips files up: an accent (the encoding), a comma and quotes
# in one value (the quoting), a ZIP with a leading zero, a price with cents.
SAMPLE_ORDER = DeliveryOrder(
    cust_ref="BB-1001",
    order_number="1001",
    order_source="Bob's Bikes web store",
    merchant=MerchantRef(id=0, name="Bob's Bikes"),
    ordered_at=datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC),
    ship_to=Address(
        first_name="Renée",
        last_name="O'Connor",
        address_1="1200 Harbor Blvd",
        address_2='Suite 5, "Blue door"',
        city="Weehawken",
        state="NJ",
        zip="07086",
        country="US",
        phone="+1 201 555 0143",
        email="renee.oconnor@example.com",
    ),
    bill_to=Address(
        first_name="Renée",
        last_name="O'Connor",
        address_1="1200 Harbor Blvd",
        city="Weehawken",
        state="NJ",
        zip="07086",
        country="US",
    ),
    ship_code="UPS_GROUND",
    lines=(
        DeliveryLine(
            sku="TRL-CAP-NVY",
            quantity=Decimal("2"),
            price=Decimal("19.50"),
            description="Trail cap, navy",
            line_number=1,
        ),
        DeliveryLine(
            sku="BTL-750",
            quantity=Decimal("1"),
            price=Decimal("12.00"),
            description="Water bottle 750 ml",
            line_number=2,
        ),
    ),
    sub_total=Decimal("51.00"),
    sales_tax=Decimal("3.57"),
    shipping_handling=Decimal("7.95"),
    grand_total=Decimal("62.52"),
    notes="Leave at the back door",
)
SAMPLE_SHIPMENT = ShipmentRecord(
    cust_ref="BB-1001",
    wms_shipment_ref="PKG-5521",
    shipped_at=datetime(2026, 3, 16, 10, 30, tzinfo=UTC),
    carrier="UPS",
    method="Ground",
    scac="UPSN",
    tracking_number="1Z999AA10123456784",
    tracking_url="https://www.ups.com/track?tracknum=1Z999AA10123456784",
    cost=Decimal("8.40"),
    lines=(
        ShipmentLineRecord(sku="TRL-CAP-NVY", quantity=Decimal("2"), source_line_id="1"),
        ShipmentLineRecord(sku="BTL-750", quantity=Decimal("1"), source_line_id="2"),
    ),
)
SAMPLE_STOCK = (
    StockLevel(
        sku="TRL-CAP-NVY",
        location_id="NJ1",
        available=42,
        on_hand=45,
        location_name="Weehawken, NJ",
        updated_at=datetime(2026, 3, 16, 6, 0, tzinfo=UTC),
    ),
    StockLevel(
        sku="BTL-750",
        location_id="NJ1",
        available=0,
        on_hand=3,
        location_name="Weehawken, NJ",
        updated_at=datetime(2026, 3, 16, 6, 0, tzinfo=UTC),
    ),
)


SAMPLES: dict[str, tuple[Sequence[Any], Callable[[Any, CsvFormat], bytes]]] = {
    ORDERS: ((SAMPLE_ORDER,), orders_to_csv),
    SHIPMENTS: ((SAMPLE_SHIPMENT,), shipments_to_csv),
    INVENTORY: (SAMPLE_STOCK, inventory_to_csv),
}


@dataclass(frozen=True)
class FilePreview:
    """The sample file: its rows as a table (header first when there is one), and its text
    as written (decoded again, for showing)."""

    header: list[str] | None
    rows: list[list[str]]
    text: str
    size: int
    encoding: str


def format_preview(fmt: CsvFormat) -> FilePreview:
    """The file a format makes of the sample order (or its shipment, or stock)."""
    records, write = SAMPLES[fmt.direction]
    data = write(records, fmt)
    table = table_rows(records, fmt)
    cells = [[str(cell) for cell in row] for row in table]
    header = cells.pop(0) if fmt.header else None
    codec = "utf-8-sig" if fmt.encoding.startswith("utf-8") else fmt.encoding
    return FilePreview(
        header=header,
        rows=cells,
        text=data.decode(codec),
        size=len(data),
        encoding=ENCODINGS[fmt.encoding],
    )
