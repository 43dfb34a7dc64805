"""CSV file formats: one engine that writes records as rows and reads rows back as records."""

from __future__ import annotations

import csv
import io
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from integration_manager.connector_errors import RecordError
from integration_manager.http import remote_text
from integration_manager.parsing import parse_amount
from integration_manager.records import (
    Address,
    DeliveryOrder,
    OrderLineRecord,
    OrderRecord,
    ShipmentLineRecord,
    ShipmentRecord,
    StockLevel,
)

ORDERS, SHIPMENTS, INVENTORY = "orders", "shipments", "inventory"
DIRECTIONS = {ORDERS: "Orders", SHIPMENTS: "Shipments", INVENTORY: "Inventory"}

# What a field holds, which says how it is written and read.
TEXT, MONEY, QUANTITY, WHOLE, DATE = "text", "money", "quantity", "whole", "date"

# Two kinds of column that name no hub field: the same text on every row, or nothing.
FIXED = "fixed"
EMPTY = ""

DELIMITERS = {",": "Comma ( , )", ";": "Semicolon ( ; )", "\t": "Tab", "|": "Pipe ( | )"}
QUOTE_CHARS = {'"': 'Double ( " )', "'": "Single ( ' )"}
QUOTING = {
    "minimal": "Only where needed",
    "all": "Every value",
    "text": "Text values, not numbers",
    "none": "Never (escape with \\)",
}
ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "latin-1": "Latin-1 (ISO 8859-1)",
    "cp1252": "Windows-1252",
}
LINE_ENDINGS = {"crlf": "CRLF (Windows)", "lf": "LF (Unix)"}
LINE_BREAKS = {"crlf": "\r\n", "lf": "\n"}
LINES, GROUPED = "lines", "grouped"
LAYOUTS = {LINES: "One row per product", GROUPED: "Several products per row"}
DATE_FORMATS = {
    "%Y-%m-%d %H:%M:%S": "2026-03-14 15:09:26",
    "%Y-%m-%d": "2026-03-14",
    "%Y-%m-%dT%H:%M:%S%z": "2026-03-14T15:09:26+0000",
    "%m/%d/%Y": "03/14/2026",
    "%m/%d/%Y %H:%M": "03/14/2026 15:09",
    "%d/%m/%Y": "14/03/2026",
    "%d.%m.%Y": "14.03.2026",
    "%Y%m%d": "20260314",
}
MAX_GROUPS = 50
MAX_COLUMNS = 200
MAX_TEXT = 200
# A moment every date format is tried on: each field of it differs from the others.
EXAMPLE_MOMENT = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Field:
    """A hub field a column can hold: its key (the attribute path on the record written,
    "line." for a product's), label, header in the hub's own formats, and kind."""

    key: str
    label: str
    header: str
    group: str
    kind: str = TEXT
    readable: bool = True  # False: written only (the file reader ignores the column)
    writable: bool = True  # False: read only (written as an empty cell)

    @property
    def is_line(self) -> bool:
        return self.key.startswith("line.")


_ADDRESS_PARTS = (
    ("company", "company"),
    ("first_name", "first name"),
    ("last_name", "last name"),
    ("address_1", "address 1"),
    ("address_2", "address 2"),
    ("address_3", "address 3"),
    ("city", "city"),
    ("state", "state"),
    ("zip", "ZIP"),
    ("country", "country"),
    ("phone", "phone"),
    ("email", "e-mail"),
)


def _address_fields(prefix: str, group: str) -> list[Field]:
    return [
        Field(f"{prefix}.{part}", f"{group}: {words}", f"{group} {words}", group)
        for part, words in _ADDRESS_PARTS
    ]


_ORDER_FIELDS = [
    Field("cust_ref", "Order reference (cust_ref)", "Order reference", "Order"),
    Field("order_number", "Order number", "Order number", "Order"),
    Field("ordered_at", "Order date", "Order date", "Order", DATE),
    Field("order_source", "Order source", "Order source", "Order", readable=False),
    Field("merchant", "Merchant", "Merchant", "Order", readable=False),
    Field("ship_code", "Ship method code", "Ship method", "Order"),
    Field(
        "ship_description", "Ship method description", "Ship method name", "Order", writable=False
    ),
    Field("currency", "Currency", "Currency", "Order"),
    Field("notes", "Notes", "Notes", "Order"),
    Field("sub_total", "Subtotal", "Subtotal", "Charges", MONEY),
    Field("order_discount", "Order discount", "Order discount", "Charges", MONEY),
    Field("sales_tax", "Sales tax", "Sales tax", "Charges", MONEY),
    Field("shipping_handling", "Shipping", "Shipping", "Charges", MONEY),
    Field("grand_total", "Grand total", "Grand total", "Charges", MONEY),
    *_address_fields("ship_to", "Ship to"),
    *_address_fields("bill_to", "Bill to"),
    Field("line.line_number", "Line number", "Line", "Product"),
    Field("line.sku", "SKU", "SKU", "Product"),
    Field("line.description", "Description", "Description", "Product"),
    Field("line.quantity", "Quantity", "Quantity", "Product", QUANTITY),
    Field("line.price", "Unit price", "Price", "Product", MONEY),
    Field("line.extended_amount", "Line total", "Line total", "Product", MONEY, readable=False),
    Field("line.discount", "Discount per unit", "Discount", "Product", MONEY, writable=False),
    Field("line.addl_discount", "Line discount", "Line discount", "Product", MONEY, writable=False),
    Field("line.tax", "Line tax", "Line tax", "Product", MONEY, writable=False),
]
_SHIPMENT_FIELDS = [
    Field("cust_ref", "Order reference (cust_ref)", "Order reference", "Shipment"),
    Field("wms_shipment_ref", "Shipment id", "Shipment id", "Shipment"),
    Field("shipped_at", "Ship date", "Ship date", "Shipment", DATE),
    Field("carrier", "Carrier", "Carrier", "Shipment"),
    Field("method", "Ship method", "Ship method", "Shipment"),
    Field("scac", "SCAC", "SCAC", "Shipment"),
    Field("tracking_number", "Tracking number", "Tracking number", "Shipment"),
    Field("tracking_url", "Tracking URL", "Tracking URL", "Shipment"),
    Field("cost", "Shipping cost", "Cost", "Shipment", MONEY),
    Field("line.sku", "SKU", "SKU", "Product"),
    Field("line.quantity", "Quantity shipped", "Quantity", "Product", QUANTITY),
    Field("line.source_line_id", "Order line id", "Line id", "Product"),
]
_INVENTORY_FIELDS = [
    Field("sku", "SKU", "SKU", "Stock"),
    Field("location_id", "Location id", "Location", "Stock"),
    Field("location_name", "Location name", "Location name", "Stock"),
    Field("available", "Available", "Available", "Stock", WHOLE),
    Field("on_hand", "On hand", "On hand", "Stock", WHOLE),
    Field("updated_at", "Counted at", "Updated", "Stock", DATE),
]
FIELDS: dict[str, dict[str, Field]] = {
    ORDERS: {item.key: item for item in _ORDER_FIELDS},
    SHIPMENTS: {item.key: item for item in _SHIPMENT_FIELDS},
    INVENTORY: {item.key: item for item in _INVENTORY_FIELDS},
}
# What reading needs, per direction: each entry is a choice of fields, one of which a
# file (or a constant) must give.
REQUIRED_TO_READ: dict[str, tuple[tuple[str, ...], ...]] = {
    ORDERS: (("order_number", "cust_ref"), ("line.sku",), ("line.quantity",)),
    SHIPMENTS: (("cust_ref",),),
    INVENTORY: (("sku",), ("available",)),
}


def field_choices(direction: str) -> list[tuple[str, Any]]:
    """The editor's choices for a column: hub fields grouped as they are listed, then the
    two columns that name no field."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for item in FIELDS[direction].values():
        groups.setdefault(item.group, []).append((item.key, item.label))
    other = [(FIXED, "Fixed text (the same on every row)"), (EMPTY, "Empty column (not read)")]
    return [*groups.items(), ("Other", other)]


def field_label(direction: str, key: str) -> str:
    if key == FIXED:
        return "Fixed text"
    if key == EMPTY:
        return "Empty column"
    return FIELDS[direction][key].label


class FormatInvalid(ValueError):
    """A format that cannot be used; each problem is a sentence a person can act on."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Column:
    """One column of the file: the hub field it holds (or FIXED text, or EMPTY), and the
    header text (blank: the field's own header)."""

    field: str = EMPTY
    header: str = ""
    value: str = ""  # the text of a FIXED column

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "header": self.header, "value": self.value}


@dataclass(frozen=True)
class CsvFormat:
    """How a file is laid out: every option, checked when made (FormatInvalid)."""

    direction: str
    columns: tuple[Column, ...]
    name: str = ""
    header: bool = True
    delimiter: str = ","
    quote_char: str = '"'
    quoting: str = "minimal"
    encoding: str = "utf-8"
    line_ending: str = "crlf"
    date_format: str = "%Y-%m-%d %H:%M:%S"
    timezone: str = "UTC"
    layout: str = LINES
    group_count: int = 1
    # Values for fields a file does not carry, or leaves blank (a carrier all rows share).
    constants: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        problems = format_problems(self)
        if problems:
            raise FormatInvalid(problems)

    @property
    def fields(self) -> dict[str, Field]:
        return FIELDS[self.direction]

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def constant(self, key: str) -> str:
        return dict(self.constants).get(key, "")

    def as_dict(self) -> dict[str, Any]:
        """The format as JSON-ready data, as the connectors store it in their settings."""
        return {
            "version": 1,
            "direction": self.direction,
            "name": self.name,
            "header": self.header,
            "delimiter": self.delimiter,
            "quote_char": self.quote_char,
            "quoting": self.quoting,
            "encoding": self.encoding,
            "line_ending": self.line_ending,
            "date_format": self.date_format,
            "timezone": self.timezone,
            "layout": self.layout,
            "group_count": self.group_count,
            "columns": [column.as_dict() for column in self.columns],
            "constants": dict(self.constants),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CsvFormat:
        """A format from stored data; FormatInvalid when it is not one."""
        if not isinstance(data, Mapping):
            raise FormatInvalid(["The stored format is not readable: choose a preset again."])
        try:
            columns = tuple(
                Column(
                    field=str(item.get("field") or ""),
                    header=str(item.get("header") or ""),
                    value=str(item.get("value") or ""),
                )
                for item in data.get("columns") or ()
            )
            constants = tuple(
                (str(k), str(v)) for k, v in dict(data.get("constants") or {}).items()
            )
            group_count = int(data.get("group_count", 1))
        except (AttributeError, TypeError, ValueError):
            raise FormatInvalid(
                ["The stored format is not readable: choose a preset again."]
            ) from None
        # Text as text: stored data edited by hand must give FormatInvalid, not a TypeError.
        options = {
            key: data[key] if key == "header" else str(data[key])
            for key in _OPTION_KEYS
            if key in data
        }
        return cls(
            direction=str(data.get("direction") or ""),
            columns=columns,
            constants=constants,
            group_count=group_count,
            **options,
        )


_OPTION_KEYS = (
    "name",
    "header",
    "delimiter",
    "quote_char",
    "quoting",
    "encoding",
    "line_ending",
    "date_format",
    "timezone",
    "layout",
)


# --- checking a format ---------------------------------------------------------------------


def format_problems(fmt: CsvFormat) -> list[str]:
    """What is wrong with a format, in sentences; empty when it can be used."""
    if fmt.direction not in DIRECTIONS:
        return [f"“{fmt.direction}” is not a kind of file: use orders, shipments or inventory."]
    problems = _option_problems(fmt)
    problems += _column_problems(fmt)
    if not problems:  # these need valid options (the encoding, the date format)
        problems += _text_problems(fmt)
        problems += _constant_problems(fmt)
    return problems


def _option_problems(fmt: CsvFormat) -> list[str]:
    checks = [
        (fmt.delimiter in DELIMITERS, "Choose a delimiter: comma, semicolon, tab or pipe."),
        (fmt.quote_char in QUOTE_CHARS, "Choose a quote character: a double or a single quote."),
        (fmt.quoting in QUOTING, "Choose when values are quoted."),
        (fmt.encoding in ENCODINGS, "Choose an encoding: UTF-8, Latin-1 or Windows-1252."),
        (fmt.line_ending in LINE_ENDINGS, "Choose a line ending: Windows (CRLF) or Unix (LF)."),
        (fmt.layout in LAYOUTS, "Choose one row per product, or several products per row."),
        (isinstance(fmt.header, bool), "Say whether the file has a header row."),
        (
            isinstance(fmt.group_count, int) and 1 <= fmt.group_count <= MAX_GROUPS,
            f"Products per row must be a number from 1 to {MAX_GROUPS}.",
        ),
        (len(str(fmt.name)) <= MAX_TEXT, f"Keep the name under {MAX_TEXT} characters."),
    ]
    problems = [message for passed, message in checks if not passed]
    problems += _date_problems(fmt)
    try:
        zoneinfo.ZoneInfo(str(fmt.timezone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.append(f"“{fmt.timezone}” is not a time zone: use a name such as Europe/Paris.")
    return problems


def _date_problems(fmt: CsvFormat) -> list[str]:
    text = str(fmt.date_format)
    if "%" not in text or len(text) > 60:
        return ["The date format needs codes such as %Y-%m-%d (year, month, day)."]
    try:
        datetime.strptime(EXAMPLE_MOMENT.strftime(text), text)
    except ValueError:
        return [f"The date format “{text}” cannot be read back: use codes such as %Y, %m, %d."]
    return []


def _column_problems(fmt: CsvFormat) -> list[str]:
    if not fmt.columns:
        return ["Add at least one column."]
    if len(fmt.columns) > MAX_COLUMNS:
        return [f"A format has at most {MAX_COLUMNS} columns."]
    problems, seen = [], set()
    for number, column in enumerate(fmt.columns, start=1):
        if column.field not in fmt.fields and column.field not in (FIXED, EMPTY):
            problems.append(f"Column {number} holds “{column.field}”, which is not a hub field.")
        elif column.field in seen:
            label = field_label(fmt.direction, column.field)
            problems.append(f"“{label}” is in two columns: keep one of them.")
        elif column.field not in (FIXED, EMPTY):
            seen.add(column.field)
        if len(column.header) > MAX_TEXT or len(column.value) > MAX_TEXT:
            problems.append(f"Column {number}: keep its texts under {MAX_TEXT} characters.")
    if fmt.layout == GROUPED:
        problems += _group_problems(fmt)
    return problems


def _group_problems(fmt: CsvFormat) -> list[str]:
    positions = [i for i, column in enumerate(fmt.columns) if _is_line_column(fmt, column)]
    if not positions:
        return ["Several products per row needs product columns (a SKU, a quantity)."]
    inside = fmt.columns[positions[0] : positions[-1] + 1]
    strays = [
        field_label(fmt.direction, column.field)
        for column in inside
        if column.field in fmt.fields and not fmt.fields[column.field].is_line
    ]
    return [
        f"The product columns repeat side by side: move “{label}” before or after them."
        for label in strays
    ]


def _is_line_column(fmt: CsvFormat, column: Column) -> bool:
    item = fmt.fields.get(column.field)
    return item is not None and item.is_line


def _text_problems(fmt: CsvFormat) -> list[str]:
    problems = []
    for slot in _slots(fmt):
        for text in (slot.header, slot.column.value):
            try:
                text.encode(fmt.encoding)
            except UnicodeEncodeError:
                encoding = ENCODINGS[fmt.encoding]
                problems.append(f"“{text}” cannot be written in {encoding}: change the text.")
    return sorted(set(problems))


def _constant_problems(fmt: CsvFormat) -> list[str]:
    problems = []
    for key, value in fmt.constants:
        if key not in fmt.fields:
            problems.append(f"A constant names “{key}”, which is not a hub field.")
            continue
        try:
            _parse(value, fmt.fields[key], fmt)
        except ValueError as problem:
            problems.append(f"The constant for {fmt.fields[key].label}: {problem}.")
    return problems


def reading_problems(fmt: CsvFormat) -> list[str]:
    """What a format lacks to read files (a SKU column, say); writing needs none of it."""
    given = {column.field for column in fmt.columns} | {key for key, _ in fmt.constants}
    problems = []
    for choice in REQUIRED_TO_READ[fmt.direction]:
        if not given & set(choice):
            labels = " or ".join(f"“{fmt.fields[key].label}”" for key in choice)
            problems.append(f"Files are read with a {labels} column: add one.")
    return problems


# --- the columns as the file has them --------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """A column of the file as written: in the grouped layout the product columns are
    repeated, so one Column can stand for several slots (group 1, 2, ...)."""

    column: Column
    field: Field | None  # None: FIXED or EMPTY
    group: int  # 0: the record's own; 1 and up: the product it belongs to
    header: str


def _slots(fmt: CsvFormat) -> list[Slot]:
    columns = list(fmt.columns)
    positions = [i for i, column in enumerate(columns) if _is_line_column(fmt, column)]
    if fmt.layout == LINES or not positions:
        return [
            Slot(column, fmt.fields.get(column.field), int(_is_line_column(fmt, column)), h)
            for column, h in zip(columns, _headers(fmt, columns, None), strict=True)
        ]
    first, last = positions[0], positions[-1]
    before, run, after = columns[:first], columns[first : last + 1], columns[last + 1 :]
    slots = [
        Slot(column, fmt.fields.get(column.field), 0, h)
        for column, h in zip(before, _headers(fmt, before, None), strict=True)
    ]
    for number in range(1, fmt.group_count + 1):
        slots += [
            Slot(column, fmt.fields.get(column.field), number, h)
            for column, h in zip(run, _headers(fmt, run, number), strict=True)
        ]
    slots += [
        Slot(column, fmt.fields.get(column.field), 0, h)
        for column, h in zip(after, _headers(fmt, after, None), strict=True)
    ]
    return slots


def _headers(fmt: CsvFormat, columns: Sequence[Column], number: int | None) -> list[str]:
    """Each column's header text; in a product group numbered: "{n}" in the text is the
    product's number, else the number follows the text ("SKU 2")."""
    headers = []
    for column in columns:
        text = column.header or (
            fmt.fields[column.field].header if column.field in fmt.fields else ""
        )
        if number is not None and text:
            text = text.replace("{n}", str(number)) if "{n}" in text else f"{text} {number}"
        headers.append(text)
    return headers


def header_row(fmt: CsvFormat) -> list[str]:
    """The header row a file in this format starts with (when it has one)."""
    return [slot.header for slot in _slots(fmt)]


# --- writing --------------------------------------------------------------------------------

Cell = str | Decimal | int
Values = dict[str, Cell]

_WRITE_SOURCES: dict[str, Callable[[Any], Any]] = {
    "merchant": lambda order: order.merchant.name,
    "line.extended_amount": lambda line: line.price * line.quantity,
    "line.line_number": lambda line: line.line_number or "",
}


def _source(obj: Any, key: str) -> Any:
    getter = _WRITE_SOURCES.get(key)
    if getter is not None:
        return getter(obj)
    value = obj
    for part in key.removeprefix("line.").split("."):
        value = getattr(value, part, None)
    return value


def _cell(value: Any, item: Field, fmt: CsvFormat) -> Cell:
    """A value as the file holds it; numbers stay numbers, so "text" quoting leaves them
    bare (the csv module quotes what is not a number)."""
    if value is None or value == "":
        return ""
    if item.kind == MONEY:
        amount = Decimal(value)
        # Cents at least; a price to the tenth of a cent keeps its digits.
        return Decimal(f"{amount:.2f}") if amount.as_tuple().exponent >= -2 else amount
    if item.kind == QUANTITY:
        return Decimal(format(Decimal(value).normalize(), "f"))
    if item.kind == WHOLE:
        return int(value)
    if item.kind == DATE:
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(fmt.zone).strftime(fmt.date_format)
    return str(value)


def _values(obj: Any, keys: Iterable[str], fmt: CsvFormat) -> Values:
    values: Values = {}
    for key in keys:
        item = fmt.fields[key]
        cell = _cell(_source(obj, key), item, fmt) if item.writable else ""
        if cell == "" and fmt.constant(key):
            cell = _cell(_parse(fmt.constant(key), item, fmt), item, fmt)
        values[key] = cell
    return values


def _rows(fmt: CsvFormat, slots: list[Slot], record: Values, lines: list[Values]) -> list[list]:
    """The rows of one record: one per product, or the products in groups of N per row."""
    if not any(slot.group for slot in slots) or not lines:
        chunks: list[list[Values]] = [[]]
    else:
        size = fmt.group_count if fmt.layout == GROUPED else 1
        chunks = [lines[start : start + size] for start in range(0, len(lines), size)]
    rows = []
    for chunk in chunks:
        row: list[Cell] = []
        for slot in slots:
            if slot.column.field == FIXED:
                row.append(slot.column.value)
            elif slot.field is None:
                row.append("")
            elif slot.group == 0:
                row.append(record.get(slot.field.key, ""))
            else:
                product = chunk[slot.group - 1] if slot.group <= len(chunk) else {}
                row.append(product.get(slot.field.key, ""))
        rows.append(row)
    return rows


@dataclass(frozen=True)
class _Writable:
    """A record to write: its rows' values, and how an error about it names it."""

    ref: str
    record: Values
    lines: list[Values]


# How an error names a record that cannot be written, per direction.
_NOUNS = {ORDERS: "Order", SHIPMENTS: "Shipment", INVENTORY: "SKU"}
_REFS: dict[str, Callable[[Any], str]] = {
    ORDERS: lambda order: order.cust_ref,
    SHIPMENTS: lambda shipment: shipment.wms_shipment_ref or shipment.cust_ref,
    INVENTORY: lambda level: level.sku,
}


def _writables(records: Iterable[Any], fmt: CsvFormat) -> list[_Writable]:
    keys = [column.field for column in fmt.columns if column.field in fmt.fields]
    keys += [key for key, _ in fmt.constants if key not in keys]
    record_keys = [key for key in keys if not fmt.fields[key].is_line]
    line_keys = [key for key in keys if fmt.fields[key].is_line]
    return [
        _Writable(
            _REFS[fmt.direction](record),
            _values(record, record_keys, fmt),
            [_values(line, line_keys, fmt) for line in getattr(record, "lines", ())],
        )
        for record in records
    ]


def _writer_options(fmt: CsvFormat) -> dict[str, Any]:
    quoting = {
        "minimal": csv.QUOTE_MINIMAL,
        "all": csv.QUOTE_ALL,
        "text": csv.QUOTE_NONNUMERIC,
        "none": csv.QUOTE_NONE,
    }[fmt.quoting]
    options: dict[str, Any] = {
        "delimiter": fmt.delimiter,
        "quotechar": fmt.quote_char,
        "quoting": quoting,
        "lineterminator": LINE_BREAKS[fmt.line_ending],
    }
    if fmt.quoting == "none":
        options["escapechar"] = "\\"
    return options


def table_rows(records: Iterable[Any], fmt: CsvFormat) -> list[list[Cell]]:
    """Every row of the file of these records, the header first when the format has one
    (the editor's preview shows them as a table)."""
    slots = _slots(fmt)
    rows: list[list[Cell]] = [header_row(fmt)] if fmt.header else []
    for item in _writables(records, fmt):
        rows += _rows(fmt, slots, item.record, item.lines)
    return rows


def _write(records: Iterable[Any], fmt: CsvFormat, direction: str) -> bytes:
    _check_direction(fmt, direction)
    slots = _slots(fmt)
    codec = "utf-8" if fmt.encoding == "utf-8-sig" else fmt.encoding
    chunks = [UTF8_BOM] if fmt.encoding == "utf-8-sig" else []
    if fmt.header:
        chunks.append(_text([header_row(fmt)], fmt).encode(codec))
    for item in _writables(records, fmt):
        text = _text(_rows(fmt, slots, item.record, item.lines), fmt)
        try:
            chunks.append(text.encode(codec))
        except UnicodeEncodeError as error:
            character = error.object[error.start : error.end]
            raise RecordError(
                f"{_NOUNS[direction]} {item.ref} has “{character}”, which "
                f"{ENCODINGS[fmt.encoding]} cannot hold: choose UTF-8 in the file format, "
                "or correct it.",
                record_ref=item.ref,
            ) from None
    return b"".join(chunks)


def _text(rows: list[list[Cell]], fmt: CsvFormat) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, **_writer_options(fmt))
    writer.writerows(rows)
    return buffer.getvalue()


def _check_direction(fmt: CsvFormat, direction: str) -> None:
    if fmt.direction != direction:
        raise ValueError(f"a {fmt.direction} format cannot be used for {direction}")


def orders_to_csv(orders: Sequence[DeliveryOrder], fmt: CsvFormat) -> bytes:
    """The order file. RecordError (record_ref = the order's cust_ref) for an order the
    encoding cannot hold: leave that order out and write the others."""
    return _write(orders, fmt, ORDERS)


def shipments_to_csv(shipments: Sequence[ShipmentRecord], fmt: CsvFormat) -> bytes:
    """A tracking file (the CSV cart writes shipments back this way)."""
    return _write(shipments, fmt, SHIPMENTS)


def inventory_to_csv(levels: Sequence[StockLevel], fmt: CsvFormat) -> bytes:
    return _write(levels, fmt, INVENTORY)


# --- reading --------------------------------------------------------------------------------

R = TypeVar("R")


@dataclass(frozen=True)
class RowError:
    """A row that was set aside (line is where it starts in the file), or, with line 0 and
    whole_file, why the file was not read at all."""

    line: int
    message: str
    whole_file: bool = False

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}" if self.line else self.message


@dataclass
class ParseResult(Generic[R]):
    """The records read from a file and the rows set aside; a bad row never stops the
    good ones. `rejected`: the file is not in the format at all (one error says why)."""

    records: list[R] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return any(error.whole_file for error in self.errors)

    @classmethod
    def refused(cls, message: str, *, line: int = 0) -> ParseResult[R]:
        return cls(errors=[RowError(line, message, whole_file=True)])


@dataclass
class _Row:
    """One row read: where it starts, its record's values, its products' values, and what
    is wrong with it."""

    line: int
    record: dict[str, Any]
    lines: list[dict[str, Any]]
    problems: list[str]


class _NotInFormat(Exception):
    """The file as a whole does not fit the format; the message says what to change."""

    def __init__(self, message: str, *, line: int = 0) -> None:
        super().__init__(message)
        self.line = line


def _parse(text: str, item: Field, fmt: CsvFormat) -> Any:
    """A cell's text as the field's value; ValueError in words a person can act on."""
    if item.kind == TEXT:
        return text
    if item.kind == DATE:
        return _parse_date(text, fmt)
    try:
        number = parse_amount(text)
    except ValueError:
        kind = "an amount" if item.kind == MONEY else "a number"
        raise ValueError(f"“{text}” is not {kind} (write it like 12.50)") from None
    if item.kind == MONEY:
        return number
    if number < 0 and item.kind == QUANTITY:
        raise ValueError(f"“{text}” is below zero")
    if item.kind == WHOLE:
        if number != number.to_integral_value():
            raise ValueError(f"“{text}” is not a whole number")
        if abs(number) >= WHOLE_LIMIT:
            raise ValueError(f"“{text}” is larger than a stock level can be")
        return int(number)
    return number


# A whole number is a stock level or a count, kept in a 32-bit integer column.
WHOLE_LIMIT = 2**31


def _parse_date(text: str, fmt: CsvFormat) -> datetime:
    try:
        moment = datetime.strptime(text, fmt.date_format)
    except ValueError:
        example = EXAMPLE_MOMENT.strftime(fmt.date_format)
        raise ValueError(
            f"“{text}” is not a date in the format's date format ({example})"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=fmt.zone)
    return moment.astimezone(UTC)


def _decode(data: bytes, fmt: CsvFormat) -> str:
    # A UTF-8 file may or may not start with a BOM: either way it is not part of the text.
    codec = "utf-8-sig" if fmt.encoding.startswith("utf-8") else fmt.encoding
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise _NotInFormat(
            f"The file is not in {ENCODINGS[fmt.encoding]}: line {line} has a byte "
            f"(0x{data[error.start]:02X}) that encoding does not use. Choose the encoding the "
            "file was saved in (files from older Windows programs are often Windows-1252).",
            line=line,
        ) from None


def _reader(text: str, fmt: CsvFormat) -> Iterator[tuple[int, list[str]]]:
    """(line where the row starts, cells) for each row that is not blank."""
    options: dict[str, Any] = {"delimiter": fmt.delimiter, "quotechar": fmt.quote_char}
    if fmt.quoting == "none":
        options.update(quoting=csv.QUOTE_NONE, escapechar="\\")
    reader = csv.reader(io.StringIO(text, newline=""), **options)
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield start, cells
            start = reader.line_num + 1
    except csv.Error as error:
        raise _NotInFormat(
            f"The file cannot be read as CSV from line {start}: {error}.", line=start
        ) from None


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _check_first_row(cells: list[str], slots: list[Slot], fmt: CsvFormat) -> None:
    if len(cells) == 1 and len(slots) > 1:
        others = [d for d in DELIMITERS if d != fmt.delimiter and d in cells[0]]
        if others:
            raise _NotInFormat(
                f"The file does not use the {DELIMITERS[fmt.delimiter].lower()} between values; "
                f"it seems to use the {DELIMITERS[others[0]].lower()}. Choose that delimiter "
                "in the file format.",
                line=1,
            )
    expected = [(i, slot.header) for i, slot in enumerate(slots) if slot.header]
    found = [i for i, header in expected if i < len(cells) and _normal(cells[i]) == _normal(header)]
    if fmt.header:
        for i, header in expected:
            if i not in found:
                seen = f"is “{remote_text(cells[i], limit=60)}”" if i < len(cells) else "is missing"
                raise _NotInFormat(
                    f"The header row does not match the format: column {i + 1} {seen}, the "
                    f"format expects “{header}”. Choose the format the file was made with, "
                    "or change that column in the format.",
                    line=1,
                )
    elif expected and len(found) * 2 >= len(expected):
        raise _NotInFormat(
            "The file starts with a header row, but the format says it has none: tick "
            "“Header row” in the file format.",
            line=1,
        )


def _read_rows(data: bytes, fmt: CsvFormat, direction: str) -> list[_Row]:
    _check_direction(fmt, direction)
    missing = reading_problems(fmt)
    if missing:
        raise _NotInFormat("This file format cannot read files. " + " ".join(missing))
    slots = _slots(fmt)
    rows = []
    for number, (line, cells) in enumerate(_reader(_decode(data, fmt), fmt)):
        if number == 0:
            _check_first_row(cells, slots, fmt)
            if fmt.header:
                continue
        rows.append(_row(line, cells, slots, fmt))
    return rows


def _row(line: int, cells: list[str], slots: list[Slot], fmt: CsvFormat) -> _Row:
    raw: dict[int, dict[str, tuple[str, Slot, int]]] = {}
    for index, slot in enumerate(slots):
        if slot.field is not None and slot.field.readable:
            text = cells[index].strip() if index < len(cells) else ""
            raw.setdefault(slot.group, {})[slot.field.key] = (text, slot, index)
    problems: list[str] = []
    record = _parsed(raw.pop(0, {}), fmt, problems, lines=False)
    products = [
        _parsed(group, fmt, problems, lines=True)
        for _, group in sorted(raw.items())
        if any(text for text, _, _ in group.values())
    ]
    return _Row(line, record, products, problems)


def _parsed(
    raw: dict[str, tuple[str, Slot, int]], fmt: CsvFormat, problems: list[str], *, lines: bool
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, (text, slot, index) in raw.items():
        text = text or fmt.constant(key)
        if not text:
            continue
        try:
            values[key] = _parse(text, fmt.fields[key], fmt)
        except ValueError as problem:
            name = f"“{slot.header}”" if slot.header else fmt.fields[key].label
            problems.append(f"{name} (column {index + 1}): {problem}")
    for key, text in fmt.constants:
        if key not in values and fmt.fields[key].is_line == lines and fmt.fields[key].readable:
            values[key] = _parse(text, fmt.fields[key], fmt)
    return values


def _require(
    row: _Row, fmt: CsvFormat, record_keys: Iterable[str], line_keys: Iterable[str]
) -> None:
    for key in record_keys:
        if key not in row.record:
            row.problems.append(f"{fmt.fields[key].label} is empty")
    for number, product in enumerate(row.lines, start=1):
        for key in line_keys:
            if key not in product:
                row.problems.append(f"product {number}: {fmt.fields[key].label} is empty")


def _grouped(
    rows: list[_Row], key_of: Callable[[_Row], Any], noun: Callable[[Any], str]
) -> tuple[list[tuple[Any, list[_Row]]], list[RowError]]:
    """Rows gathered by the record they belong to; a record with a bad row is set aside
    whole (half an order is worse than none), and each bad row says so."""
    groups: dict[Any, list[_Row]] = {}
    errors = []
    for row in rows:
        key = key_of(row)
        if key is None:
            errors.append(RowError(row.line, "; ".join(row.problems)))
            continue
        groups.setdefault(key, []).append(row)
    kept = []
    for key, members in groups.items():
        bad = [row for row in members if row.problems]
        if not bad:
            kept.append((key, members))
        for row in bad:
            errors.append(
                RowError(row.line, f"{'; '.join(row.problems)}. {noun(key)} was set aside.")
            )
    errors.sort(key=lambda error: error.line)
    return kept, errors


def _result(build: Callable[[], tuple[list[R], list[RowError]]]) -> ParseResult[R]:
    try:
        records, errors = build()
    except _NotInFormat as problem:
        return ParseResult.refused(str(problem), line=problem.line)
    return ParseResult(records=records, errors=errors)


def inventory_from_csv(data: bytes, fmt: CsvFormat) -> ParseResult[StockLevel]:
    """Stock levels, one per row."""

    def build() -> tuple[list[StockLevel], list[RowError]]:
        records, errors = [], []
        for row in _read_rows(data, fmt, INVENTORY):
            _require(row, fmt, ("sku", "available"), ())
            if row.problems:
                errors.append(RowError(row.line, "; ".join(row.problems)))
            else:
                values = {"location_id": "", **row.record}
                records.append(StockLevel(**values))
        return records, errors

    return _result(build)


def shipments_from_csv(
    data: bytes, fmt: CsvFormat, *, received_at: datetime | None = None
) -> ParseResult[ShipmentRecord]:
    """Shipments: rows with the same order reference and shipment id (or tracking number)
    are one package. A file without ship dates gets received_at (default: now)."""
    moment = received_at or datetime.now(UTC)

    def key_of(row: _Row) -> tuple[str, str] | None:
        _require(row, fmt, ("cust_ref",), ("line.sku", "line.quantity"))
        ref = row.record.get("cust_ref")
        package = row.record.get("wms_shipment_ref") or row.record.get("tracking_number") or ""
        return (ref, package) if ref else None

    def build() -> tuple[list[ShipmentRecord], list[RowError]]:
        groups, errors = _grouped(
            _read_rows(data, fmt, SHIPMENTS), key_of, lambda key: f"Shipment of {key[0]}"
        )
        return [_shipment(key, rows, moment) for key, rows in groups], errors

    return _result(build)


def _shipment(key: tuple[str, str], rows: list[_Row], moment: datetime) -> ShipmentRecord:
    values = dict(rows[0].record)
    values["wms_shipment_ref"] = key[1] or key[0]
    values.setdefault("shipped_at", moment)
    lines = [
        ShipmentLineRecord(**{name.removeprefix("line."): value for name, value in line.items()})
        for row in rows
        for line in row.lines
    ]
    return ShipmentRecord(**values, lines=tuple(lines))


def orders_from_csv(
    data: bytes, fmt: CsvFormat, *, received_at: datetime | None = None
) -> ParseResult[OrderRecord]:
    """Orders (the CSV cart): rows with the same order number are one order (the order
    reference when the format has no order number column). An order with a bad row is set
    aside whole. A file without order dates gets received_at (default: now)."""
    moment = received_at or datetime.now(UTC)

    def key_of(row: _Row) -> str | None:
        _require(row, fmt, (), ("line.sku", "line.quantity"))
        number = row.record.get("order_number") or row.record.get("cust_ref")
        if not number:
            row.problems.insert(0, "the order number is empty")
        return number or None

    def build() -> tuple[list[OrderRecord], list[RowError]]:
        groups, errors = _grouped(_read_rows(data, fmt, ORDERS), key_of, lambda key: f"Order {key}")
        records = []
        for number, rows in groups:
            if not any(row.lines for row in rows):
                errors.append(RowError(rows[0].line, f"Order {number} has no products."))
            else:
                records.append(_order(number, rows, moment))
        errors.sort(key=lambda error: error.line)
        return records, errors

    return _result(build)


def _address(values: Mapping[str, Any], prefix: str) -> Address:
    return Address(
        **{
            key.removeprefix(prefix): value
            for key, value in values.items()
            if key.startswith(prefix)
        }
    )


_ORDER_MONEY = ("order_discount", "sales_tax", "shipping_handling")


def _order(number: str, rows: list[_Row], moment: datetime) -> OrderRecord:
    values = rows[0].record
    lines = [product for row in rows for product in row.lines]
    return OrderRecord(
        source_order_id=number,
        order_number=values.get("order_number") or number,
        ordered_at=values.get("ordered_at") or moment,
        updated_at=None,
        ship_to=_address(values, "ship_to."),
        bill_to=_address(values, "bill_to."),
        lines=tuple(_order_line(product, position) for position, product in enumerate(lines, 1)),
        ship_code=values.get("ship_code", ""),
        ship_description=values.get("ship_description", ""),
        currency=values.get("currency") or "USD",
        sub_total=values.get("sub_total"),
        grand_total=values.get("grand_total"),
        notes=values.get("notes", ""),
        raw={"file_line": rows[0].line},
        **{key: values[key] for key in _ORDER_MONEY if key in values},
    )


def _order_line(values: Mapping[str, Any], position: int) -> OrderLineRecord:
    fields = {key.removeprefix("line."): value for key, value in values.items()}
    fields["source_line_id"] = str(fields.pop("line_number", "") or position)
    return OrderLineRecord(**fields)


# --- presets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    format: CsvFormat


def _columns(*keys: str, headers: Mapping[str, str] | None = None) -> tuple[Column, ...]:
    headers = headers or {}
    return tuple(Column(field=key, header=headers.get(key, "")) for key in keys)


_SHIP_TO = tuple(
    f"ship_to.{part}" for part in ("company", "first_name", "last_name", "address_1", "address_2")
) + tuple(f"ship_to.{part}" for part in ("city", "state", "zip", "country", "phone", "email"))


def _cartrover_name(key: str) -> str:
    """CartRover's name for a field (§1.9 of the reference): ship_*, cust_* for the bill-to,
    e_mail, item for the SKU."""
    names = {
        "order_number": "cust_po_no",
        "ordered_at": "order_date",
        "currency": "currency_code",
        "notes": "shipping_instructions",
        "line.line_number": "line_no",
        "line.sku": "item",
    }
    if key in names:
        return names[key]
    for prefix, theirs in (("ship_to.", "ship_"), ("bill_to.", "cust_")):
        if key.startswith(prefix):
            return theirs + key.removeprefix(prefix).replace("email", "e_mail")
    return key.removeprefix("line.")


_CARTROVER_ORDER_KEYS = (
    "cust_ref",
    "order_number",
    "ordered_at",
    "order_source",
    *_SHIP_TO[:5],
    "ship_to.address_3",
    *_SHIP_TO[5:],
    *(key.replace("ship_to.", "bill_to.") for key in _SHIP_TO),
    "ship_code",
    "sub_total",
    "order_discount",
    "sales_tax",
    "shipping_handling",
    "grand_total",
    "currency",
    "notes",
    "line.line_number",
    "line.sku",
    "line.description",
    "line.quantity",
    "line.price",
    "line.extended_amount",
)

PRESETS: dict[str, Preset] = {
    preset.key: preset
    for preset in (
        Preset(
            "hub_orders",
            "Hub standard: one row per order line",
            CsvFormat(
                direction=ORDERS,
                name="Hub standard orders",
                columns=_columns(
                    "cust_ref",
                    "order_number",
                    "ordered_at",
                    "order_source",
                    "ship_code",
                    *_SHIP_TO,
                    "line.line_number",
                    "line.sku",
                    "line.description",
                    "line.quantity",
                    "line.price",
                    "notes",
                ),
            ),
        ),
        Preset(
            "hub_orders_grouped",
            "Hub standard: three products per row",
            CsvFormat(
                direction=ORDERS,
                name="Hub orders, three products per row",
                layout=GROUPED,
                group_count=3,
                columns=_columns(
                    "cust_ref",
                    "order_number",
                    "ordered_at",
                    "ship_code",
                    *_SHIP_TO,
                    "line.sku",
                    "line.quantity",
                    "notes",
                    headers={"line.sku": "SKU {n}", "line.quantity": "Quantity {n}"},
                ),
            ),
        ),
        Preset(
            "cartrover_orders",
            "CartRover-style order export",
            CsvFormat(
                direction=ORDERS,
                name="CartRover-style orders",
                date_format="%Y-%m-%d",
                columns=_columns(
                    *_CARTROVER_ORDER_KEYS,
                    headers={key: _cartrover_name(key) for key in _CARTROVER_ORDER_KEYS},
                ),
            ),
        ),
        Preset(
            "hub_shipments",
            "Hub standard shipments: one row per product shipped",
            CsvFormat(
                direction=SHIPMENTS,
                name="Hub standard shipments",
                columns=_columns(*FIELDS[SHIPMENTS]),
            ),
        ),
        Preset(
            "hub_inventory",
            "Hub standard inventory: one row per SKU and location",
            CsvFormat(
                direction=INVENTORY,
                name="Hub standard inventory",
                columns=_columns(*FIELDS[INVENTORY]),
            ),
        ),
    )
}
DEFAULT_PRESETS = {ORDERS: "hub_orders", SHIPMENTS: "hub_shipments", INVENTORY: "hub_inventory"}


def presets_for(direction: str) -> list[Preset]:
    return [preset for preset in PRESETS.values() if preset.format.direction == direction]


def default_format(direction: str) -> CsvFormat:
    return PRESETS[DEFAULT_PRESETS[direction]].format


def format_from_settings(settings: Mapping[str, Any], key: str, direction: str) -> CsvFormat:
    """The format a connection saved under `key`, or the direction's default preset when it
    saved none. FormatInvalid when the saved one is broken or for another direction."""
    data = settings.get(key)
    if not data:
        return default_format(direction)
    fmt = CsvFormat.from_dict(data)
    if fmt.direction != direction:
        raise FormatInvalid([f"The saved format is for {fmt.direction}, not {direction}."])
    return fmt
