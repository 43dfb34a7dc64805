"""The products, ship methods and people the sandbox cart sells and the sandbox WMS stocks."""

from __future__ import annotations

from decimal import Decimal

# SKU, description, unit price. The sandbox WMS stocks exactly these.
PRODUCTS: list[tuple[str, str, Decimal]] = [
    ("TENT-2P-GRN", "Two-person tent, green", Decimal("189.00")),
    ("TENT-4P-ORG", "Four-person tent, orange", Decimal("279.00")),
    ("BAG-SLP-20F", "Sleeping bag, 20°F", Decimal("129.50")),
    ("PAD-SLP-REG", "Sleeping pad, regular", Decimal("64.95")),
    ("STOVE-CAN-1", "Canister stove", Decimal("44.99")),
    ("POT-TI-750", "Titanium pot, 750 ml", Decimal("39.00")),
    ("LAMP-HD-300", "Headlamp, 300 lumens", Decimal("34.95")),
    ("BOTTLE-1L-BLU", "Water bottle 1 l, blue", Decimal("18.00")),
    ("SOCK-WOOL-M", "Wool hiking socks, M", Decimal("22.00")),
    ("SOCK-WOOL-L", "Wool hiking socks, L", Decimal("22.00")),
    ("MUG-ENM-WHT", "Enamel mug, white", Decimal("14.50")),
    ("KNIFE-FLD-3", "Folding knife, 3 inch", Decimal("49.00")),
]
PRODUCT_BY_SKU = {sku: (description, price) for sku, description, price in PRODUCTS}

# A product the cart still sells but the warehouse never stocked: its orders fail at the WMS.
UNKNOWN_SKU = ("LANTERN-OLD-1", "Lantern (discontinued)", Decimal("29.00"))

# The cart's ship codes and the WMS ship methods they are usually mapped to.
CART_SHIP_CODES: list[tuple[str, str]] = [
    ("standard", "Standard shipping (5-7 days)"),
    ("express", "Express (2 days)"),
    ("free_shipping", "Free shipping"),
    ("overnight", "Overnight"),
]
WMS_SHIP_METHODS: list[tuple[str, str, str]] = [
    ("UPS-GND", "UPS Ground", "UPS"),
    ("UPS-2DA", "UPS 2nd Day Air", "UPS"),
    ("UPS-NDA", "UPS Next Day Air", "UPS"),
    ("USPS-GA", "USPS Ground Advantage", "USPS"),
    ("FDX-HOME", "FedEx Home Delivery", "FedEx"),
]
DEFAULT_SHIP_MAP = {
    "standard": "UPS-GND",
    "express": "UPS-2DA",
    "free_shipping": "USPS-GA",
    "overnight": "UPS-NDA",
}

WAREHOUSES: list[tuple[str, str]] = [
    ("EAST", "East warehouse (NJ)"),
    ("WEST", "West warehouse (NV)"),
]

FIRST_NAMES = [
    "Maria",
    "James",
    "Aiko",
    "Noah",
    "Fatima",
    "Liam",
    "Chloe",
    "Mateo",
    "Priya",
    "Owen",
]
LAST_NAMES = ["Garcia", "Smith", "Tanaka", "Johnson", "Haddad", "Brown", "Martin", "Rossi", "Patel"]
STREETS = [
    "1200 Market St",
    "48 Elm Avenue",
    "7 Harbor View Rd",
    "350 W 4th St Apt 12",
    "915 Lakeshore Dr",
    "22 Orchard Lane",
]
CITIES: list[tuple[str, str, str]] = [
    ("Philadelphia", "PA", "19107"),
    ("Denver", "CO", "80202"),
    ("Portland", "OR", "97205"),
    ("Austin", "TX", "78701"),
    ("Madison", "WI", "53703"),
    ("Asheville", "NC", "28801"),
]
