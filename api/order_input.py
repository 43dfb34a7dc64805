"""The create-order input of the cart API (§1.11) read into an OrderRecord, or refused."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from integration_manager.records import Address, OrderLineRecord, OrderRecord

REQUIRED_SHIP_FIELDS = ("ship_address_1", "ship_city", "ship_state", "ship_zip", "ship_country")
NAME_FIELDS = ("cust_company", "cust_first_name", "cust_last_name")
ORDER_MONEY_FIELDS = (
    "sub_total",
    "order_discount",
    "sales_tax",
    "tax",
    "shipping_handling",
    "grand_total",
)
LINE_MONEY_FIELDS = (
    "price",
    "discount",
    "addl_discount",
    "tax",
    "extended_amount",
    "shipping_surcharge",
)
# Address parts: ours -> the suffix after cust_ / ship_ in the input.
ADDRESS_NAMES = {
    "company": "company",
    "first_name": "first_name",
    "last_name": "last_name",
    "address_1": "address_1",
    "address_2": "address_2",
    "address_3": "address_3",
    "city": "city",
    "state": "state",
    "zip": "zip",
    "country": "country",
    "phone": "phone",
    "email": "e_mail",
}
MISSING_PREFIX = "Order missing required field(s): "
# What the order's columns hold (orders/models.py): money has 14 digits, 4 after the point;
# a quantity 12, 3 after; the order number 100 characters. Past these, storing the order was
# a server error instead of an answer naming the field.
MONEY_LIMIT = Decimal(10) ** 10
QUANTITY_LIMIT = Decimal(10) ** 9
ORDER_NUMBER_LENGTH = 100


class OrderInputError(ValueError):
    """The input cannot become an order; the message names each field (and bad value)."""


def order_record_from_input(data: Any, *, max_reference_length: int = 100) -> OrderRecord:
    """One posted order as a record: required fields checked (every missing one named), money
    read from numbers or strings, the input itself kept as the order's raw payload (so its
    extra_fields, on the order and on items, stay with it)."""
    if not isinstance(data, dict):
        raise OrderInputError(f"An order must be a JSON object, not {_shown(data)}.")
    missing = _missing_fields(data)
    if missing:
        raise OrderInputError(MISSING_PREFIX + ", ".join(missing))
    reference = _text(data, "cust_ref")
    if len(reference) > max_reference_length:
        raise OrderInputError(
            f"cust_ref {reference[:50]!r} is too long: at most {max_reference_length} characters."
        )
    _check_types(data)
    ship_to = _address(data, "ship")
    bill_to = ship_to if _flag(data.get("ship_is_billing")) else _address(data, "cust")
    ordered_at = _ordered_at(data.get("order_date"))
    sales_tax = _money(data, "sales_tax") if data.get("sales_tax") is not None else None
    record = OrderRecord(
        source_order_id=reference,
        order_number=_text(data, "cust_po_no") or reference,
        ordered_at=ordered_at,
        updated_at=None,
        ship_to=ship_to,
        bill_to=bill_to,
        lines=tuple(_line(item) for item in data["items"]),
        ship_code=_text(data, "ship_code"),
        ship_description=_text(data, "ship_code_description"),
        currency=(_text(data, "currency_code") or "USD")[:3].upper(),
        sub_total=_money(data, "sub_total") if data.get("sub_total") is not None else None,
        order_discount=_money(data, "order_discount"),
        # The ruby client's fixture sends the order's tax as "tax"; the ts-client as sales_tax.
        sales_tax=sales_tax if sales_tax is not None else _money(data, "tax"),
        shipping_handling=_money(data, "shipping_handling"),
        grand_total=_money(data, "grand_total") if data.get("grand_total") is not None else None,
        notes=_text(data, "shipping_instructions"),
        raw=data,
    )
    _check_fits(record)
    return record


def _check_fits(record: OrderRecord) -> None:
    """Refuse numbers and a number of characters the order's columns cannot hold, the
    amounts the hub works out from the input (line and order totals) included."""
    problems = []
    if len(record.order_number) > ORDER_NUMBER_LENGTH:
        problems.append(f"cust_po_no is longer than {ORDER_NUMBER_LENGTH} characters")
    for index, line in enumerate(record.lines):
        if line.quantity >= QUANTITY_LIMIT:
            problems.append(f"items[{index}].quantity is {QUANTITY_LIMIT:,.0f} or more")
        amounts = (line.price, line.discount, line.addl_discount, line.tax, line.extended_amount)
        if any(abs(amount) >= MONEY_LIMIT for amount in amounts):
            problems.append(f"items[{index}] has an amount of {MONEY_LIMIT:,.0f} or more")
    # The totals the page store keeps when the input leaves them out (download.py).
    sub_total = record.sub_total
    if sub_total is None:
        sub_total = sum((line.extended_amount for line in record.lines), Decimal(0))
    grand_total = record.grand_total
    if grand_total is None:
        grand_total = (
            sub_total + record.sales_tax + record.shipping_handling - record.order_discount
        )
    charges = (record.order_discount, record.sales_tax, record.shipping_handling)
    if any(abs(amount) >= MONEY_LIMIT for amount in (*charges, sub_total, grand_total)):
        problems.append(f"the order's amounts add up to {MONEY_LIMIT:,.0f} or more")
    if problems:
        raise OrderInputError("Wrong value(s): " + "; ".join(problems) + ".")


def _present(data: dict[str, Any], key: str) -> bool:
    value = data.get(key)
    return value is not None and str(value).strip() != ""


def _missing_fields(data: dict[str, Any]) -> list[str]:
    missing = [key for key in ("cust_ref", *REQUIRED_SHIP_FIELDS) if not _present(data, key)]
    names = [*NAME_FIELDS, "ship_company", "ship_first_name", "ship_last_name"]
    if not any(_present(data, key) for key in names):
        missing.append("cust_company (or cust_first_name and cust_last_name)")
    items = data.get("items")
    if not isinstance(items, list) or not items:
        missing.append("items")
        return missing
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue  # a type error, named by _check_types
        missing.extend(
            f"items[{index}].{key}" for key in ("item", "quantity") if not _present(item, key)
        )
    return missing


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_types(data: dict[str, Any]) -> None:
    problems = [
        f"{key} ({_shown(value)}) is not text"
        for key, value in data.items()
        if key not in ("items", "extra_fields", "ship_is_billing", *ORDER_MONEY_FIELDS)
        and isinstance(value, dict | list)
    ]
    problems += _money_problems(data, ORDER_MONEY_FIELDS, "")
    if "extra_fields" in data and not isinstance(data["extra_fields"], dict | type(None)):
        problems.append(f"extra_fields ({_shown(data['extra_fields'])}) is not an object")
    if data.get("order_date") not in (None, "") and _parsed_date(data["order_date"]) is None:
        problems.append(f"order_date ({_shown(data['order_date'])}) is not a YYYY-MM-DD date")
    for index, item in enumerate(data["items"]):
        problems += _item_problems(index, item)
    if problems:
        raise OrderInputError("Wrong value(s): " + "; ".join(problems) + ".")


def _item_problems(index: int, item: Any) -> list[str]:
    where = f"items[{index}]"
    if not isinstance(item, dict):
        return [f"{where} ({_shown(item)}) is not an object"]
    problems = _money_problems(item, LINE_MONEY_FIELDS, f"{where}.")
    quantity = _decimal(item.get("quantity"))
    if quantity is None or quantity <= 0:
        problems.append(
            f"{where}.quantity ({_shown(item.get('quantity'))}) is not a number above 0"
        )
    for key in ("item", "description", "line_item_id"):
        if isinstance(item.get(key), dict | list | bool):
            problems.append(f"{where}.{key} ({_shown(item[key])}) is not text")
    if "extra_fields" in item and not isinstance(item["extra_fields"], dict | type(None)):
        problems.append(f"{where}.extra_fields ({_shown(item['extra_fields'])}) is not an object")
    return problems


def _money_problems(data: dict[str, Any], keys: tuple[str, ...], prefix: str) -> list[str]:
    return [
        f"{prefix}{key} ({_shown(data[key])}) is not a number"
        for key in keys
        if data.get(key) not in (None, "") and _decimal(data[key]) is None
    ]


def _decimal(value: Any) -> Decimal | None:
    """A number sent as a JSON number or a string ("4.4", "5.00"); None if it is neither."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _money(data: dict[str, Any], key: str) -> Decimal:
    return _decimal(data.get(key)) or Decimal("0")


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value).strip()


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("y", "yes", "true", "1")
    return bool(value)


def _address(data: dict[str, Any], prefix: str) -> Address:
    return Address(
        **{ours: _text(data, f"{prefix}_{theirs}") for ours, theirs in ADDRESS_NAMES.items()}
    )


def _parsed_date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if len(text) <= 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _ordered_at(value: Any) -> datetime:
    # order_date defaults to today (§1.6); a date alone is taken as midnight UTC.
    return _parsed_date(value) or datetime.now(UTC)


def _line(item: dict[str, Any]) -> OrderLineRecord:
    return OrderLineRecord(
        sku=_text(item, "item"),
        quantity=_decimal(item["quantity"]) or Decimal("0"),
        price=_money(item, "price"),
        description=_text(item, "description") or _text(item, "Description"),
        source_line_id=_text(item, "line_item_id"),
        discount=_money(item, "discount"),
        addl_discount=_money(item, "addl_discount"),
        tax=_money(item, "tax"),
    )
