"""The CSV format engine: every option written and read back, presets, layouts, bad files."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from unittest import TestCase

from csvfiles.formats import (
    DATE_FORMATS,
    DELIMITERS,
    ENCODINGS,
    FIELDS,
    FIXED,
    GROUPED,
    INVENTORY,
    LINE_ENDINGS,
    ORDERS,
    PRESETS,
    QUOTE_CHARS,
    QUOTING,
    SHIPMENTS,
    Column,
    CsvFormat,
    FormatInvalid,
    format_from_settings,
    inventory_from_csv,
    inventory_to_csv,
    orders_from_csv,
    orders_to_csv,
    presets_for,
    shipments_from_csv,
    shipments_to_csv,
)
from csvfiles.preview import SAMPLE_ORDER, SAMPLE_SHIPMENT, SAMPLE_STOCK, format_preview
from integration_manager.connector_errors import RecordError
from integration_manager.records import (
    Address,
    DeliveryLine,
    DeliveryOrder,
    MerchantRef,
    OrderRecord,
    ShipmentRecord,
    StockLevel,
)

# Every field that is both written and read, so a round trip carries all of them.
ORDER_KEYS = [key for key, item in FIELDS[ORDERS].items() if item.readable and item.writable]
EVERY_ORDER_FIELD = CsvFormat(
    direction=ORDERS, columns=tuple(Column(field=key) for key in ORDER_KEYS)
)
EVERY_SHIPMENT_FIELD = PRESETS["hub_shipments"].format
EVERY_STOCK_FIELD = PRESETS["hub_inventory"].format


def delivery_order(
    number: int, *lines: tuple[str, str, str, str], **fields: object
) -> DeliveryOrder:
    """An order with the text that trips files up: the delimiters, quotes, a backslash, a
    line break, accents Latin-1 can hold, a ZIP with a leading zero."""
    address = Address(
        company="Müller; Söhne | Partner",
        first_name="José",
        last_name='O\'Neil "Joe"',
        address_1="12, Rue de l'Église",
        address_2="Back\\door\tannex",
        city="Saint-Étienne",
        state="",
        zip="04210",
        country="FR",
        phone="+33 4 77 00 00 00",
        email="jose@example.com",
    )
    values = {
        "cust_ref": f"AC-{number}",
        "order_number": f"#{number}",
        "order_source": "Acme store",
        "merchant": MerchantRef(id=1, name="Acme"),
        "ordered_at": datetime(2026, 5, 17, 8, 5, 9, tzinfo=UTC),
        "ship_to": address,
        "bill_to": replace(address, company="Accounts, Ltd.", address_2=""),
        "ship_code": "DHL_EXP",
        "lines": tuple(
            DeliveryLine(
                sku=sku,
                quantity=Decimal(quantity),
                price=Decimal(price),
                description=description,
                line_number=index,
            )
            for index, (sku, quantity, price, description) in enumerate(lines, start=1)
        ),
        "currency": "EUR",
        "sub_total": Decimal("70.50"),
        "order_discount": Decimal("5.00"),
        "sales_tax": Decimal("14.10"),
        "shipping_handling": Decimal("9.90"),
        "grand_total": Decimal("89.50"),
        "notes": "Ring twice.\nThen wait.",
    }
    values.update(fields)
    return DeliveryOrder(**values)  # type: ignore[arg-type]


ORDERS_WRITTEN = [
    delivery_order(
        1001,
        ("MUG-RED", "2", "12.50", 'Mug, red "classic"'),
        ("TEE-L", "1", "25.00", "T-shirt; size L"),
        ("CAP-1", "1.5", "20.5", "Cap | blue"),
    ),
    delivery_order(1002, ("MUG-RED", "10", "0.125", "Mug, red"), notes=""),
]


def expected_order(order: DeliveryOrder) -> OrderRecord:
    """What the hub should read back from a file with every field of this order."""
    from integration_manager.records import OrderLineRecord

    return OrderRecord(
        source_order_id=order.order_number,
        order_number=order.order_number,
        ordered_at=order.ordered_at,
        updated_at=None,
        ship_to=order.ship_to,
        bill_to=order.bill_to,
        lines=tuple(
            OrderLineRecord(
                sku=line.sku,
                quantity=line.quantity,
                price=line.price,
                description=line.description,
                source_line_id=str(line.line_number),
            )
            for line in order.lines
        ),
        ship_code=order.ship_code,
        currency=order.currency,
        sub_total=order.sub_total,
        order_discount=order.order_discount,
        sales_tax=order.sales_tax,
        shipping_handling=order.shipping_handling,
        grand_total=order.grand_total,
        notes=order.notes,
        raw={"file_line": 0},
    )


def without_file_lines(records: list[OrderRecord]) -> list[OrderRecord]:
    return [replace(record, raw={"file_line": 0}) for record in records]


SHIPMENTS_WRITTEN = [
    SAMPLE_SHIPMENT,
    ShipmentRecord(
        cust_ref="AC-1002",
        wms_shipment_ref="PKG-2",
        shipped_at=datetime(2026, 5, 18, 17, 45, tzinfo=UTC),
        carrier="DHL, Express",
        tracking_number="JD014600006281234567",
        cost=Decimal("0"),
    ),
]
STOCK_WRITTEN = [
    *SAMPLE_STOCK,
    StockLevel(sku="ÉCHARPE-1", location_id="FR;2", available=-3, on_hand=0, location_name="Lyon"),
]


class RoundTripTests(TestCase):
    """Whatever the options, a file we write reads back as the same records."""

    def assert_round_trip(self, **options: object) -> None:
        orders = replace(EVERY_ORDER_FIELD, **options)
        result = orders_from_csv(orders_to_csv(ORDERS_WRITTEN, orders), orders)
        self.assertEqual(result.errors, [])
        self.assertEqual(
            without_file_lines(result.records), [expected_order(order) for order in ORDERS_WRITTEN]
        )
        shipments = replace(EVERY_SHIPMENT_FIELD, **options)
        read = shipments_from_csv(shipments_to_csv(SHIPMENTS_WRITTEN, shipments), shipments)
        self.assertEqual((read.records, read.errors), (SHIPMENTS_WRITTEN, []))
        stock = replace(EVERY_STOCK_FIELD, **options)
        read = inventory_from_csv(inventory_to_csv(STOCK_WRITTEN, stock), stock)
        self.assertEqual((read.records, read.errors), (STOCK_WRITTEN, []))

    def test_it_round_trips_with_and_without_a_header_row(self) -> None:
        for header in (True, False):
            with self.subTest(header=header):
                self.assert_round_trip(header=header)

    def test_it_round_trips_every_delimiter_quote_and_quoting(self) -> None:
        for delimiter in DELIMITERS:
            for quote_char in QUOTE_CHARS:
                for quoting in QUOTING:
                    with self.subTest(delimiter=delimiter, quote_char=quote_char, quoting=quoting):
                        self.assert_round_trip(
                            delimiter=delimiter, quote_char=quote_char, quoting=quoting
                        )

    def test_it_round_trips_every_encoding_and_line_ending(self) -> None:
        for encoding in ENCODINGS:
            for line_ending in LINE_ENDINGS:
                with self.subTest(encoding=encoding, line_ending=line_ending):
                    self.assert_round_trip(encoding=encoding, line_ending=line_ending)

    def test_it_round_trips_dates_with_a_time_in_any_zone(self) -> None:
        with_time = [code for code in DATE_FORMATS if "%S" in code]
        for date_format in with_time:
            for zone in ("UTC", "America/New_York", "Asia/Kolkata"):
                with self.subTest(date_format=date_format, zone=zone):
                    self.assert_round_trip(date_format=date_format, timezone=zone)

    def test_it_writes_dates_in_the_formats_zone_and_reads_them_back_there(self) -> None:
        fmt = CsvFormat(
            direction=INVENTORY,
            columns=(Column("sku"), Column("available"), Column("updated_at")),
            date_format="%m/%d/%Y %H:%M",
            timezone="America/New_York",
        )
        level = StockLevel("A", "", 1, updated_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC))
        data = inventory_to_csv([level], fmt)
        self.assertIn(b"01/01/2026 22:04", data)  # 03:04 UTC is 22:04 the day before
        self.assertEqual(inventory_from_csv(data, fmt).records, [level])

    def test_a_date_only_format_keeps_the_day(self) -> None:
        fmt = replace(EVERY_ORDER_FIELD, date_format="%d.%m.%Y", timezone="Europe/Berlin")
        data = orders_to_csv(ORDERS_WRITTEN[:1], fmt)
        self.assertIn(b"17.05.2026", data)
        (record,) = orders_from_csv(data, fmt).records
        self.assertEqual(record.ordered_at, datetime(2026, 5, 16, 22, 0, tzinfo=UTC))

    def test_it_round_trips_several_products_per_row(self) -> None:
        # Three lines in groups of 1, 2, 3 and 4: one row or several rows per order.
        for count in (1, 2, 3, 4):
            with self.subTest(group_count=count):
                orders = replace(EVERY_ORDER_FIELD, layout=GROUPED, group_count=count)
                data = orders_to_csv(ORDERS_WRITTEN, orders)
                rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
                # The header, the first order's three lines by `count`, the second's one.
                self.assertEqual(len(rows), 1 + -(-3 // count) + 1)
                result = orders_from_csv(data, orders)
                self.assertEqual(result.errors, [])
                self.assertEqual(
                    without_file_lines(result.records),
                    [expected_order(order) for order in ORDERS_WRITTEN],
                )
                shipments = replace(EVERY_SHIPMENT_FIELD, layout=GROUPED, group_count=count)
                read = shipments_from_csv(shipments_to_csv(SHIPMENTS_WRITTEN, shipments), shipments)
                self.assertEqual(read.records, SHIPMENTS_WRITTEN)

    def test_grouped_headers_are_numbered(self) -> None:
        fmt = PRESETS["hub_orders_grouped"].format
        header = orders_to_csv([SAMPLE_ORDER], fmt).decode().splitlines()[0].split(",")
        self.assertEqual(
            header[-7:],
            ["SKU 1", "Quantity 1", "SKU 2", "Quantity 2", "SKU 3", "Quantity 3", "Notes"],
        )
        first_row = orders_to_csv([SAMPLE_ORDER], fmt).decode().splitlines()[1]
        self.assertTrue(first_row.endswith("TRL-CAP-NVY,2,BTL-750,1,,,Leave at the back door"))

    def test_fixed_columns_are_written_and_not_read(self) -> None:
        fmt = CsvFormat(
            direction=INVENTORY,
            columns=(
                Column(FIXED, header="Warehouse", value="NJ1"),
                Column("sku"),
                Column(""),
                Column("available"),
            ),
        )
        data = inventory_to_csv(SAMPLE_STOCK, fmt)
        self.assertEqual(
            data.decode().splitlines(),
            ["Warehouse,SKU,,Available", "NJ1,TRL-CAP-NVY,,42", "NJ1,BTL-750,,0"],
        )
        read = inventory_from_csv(data, fmt)
        self.assertEqual([level.sku for level in read.records], ["TRL-CAP-NVY", "BTL-750"])
        self.assertEqual({level.location_id for level in read.records}, {""})

    def test_constants_fill_fields_the_file_does_not_have(self) -> None:
        fmt = CsvFormat(
            direction=SHIPMENTS,
            columns=(Column("cust_ref"), Column("tracking_number"), Column("carrier")),
            constants=(("carrier", "UPS"), ("scac", "UPSN"), ("shipped_at", "2026-03-01 00:00:00")),
        )
        data = b"Order reference,Tracking number,Carrier\r\nA-1,1Z1,\r\nA-2,794,FedEx\r\n"
        read = shipments_from_csv(data, fmt)
        self.assertEqual(read.errors, [])
        self.assertEqual(
            [(s.cust_ref, s.carrier, s.scac, s.wms_shipment_ref) for s in read.records],
            [("A-1", "UPS", "UPSN", "1Z1"), ("A-2", "FedEx", "UPSN", "794")],
        )
        self.assertEqual(read.records[0].shipped_at, datetime(2026, 3, 1, tzinfo=UTC))
        # Writing: a blank carrier gets the constant too.
        written = shipments_to_csv([replace(SAMPLE_SHIPMENT, carrier="")], fmt).decode()
        self.assertIn("BB-1001,1Z999AA10123456784,UPS", written)


class PresetTests(TestCase):
    def test_every_preset_is_valid_and_survives_storage(self) -> None:
        for key, preset in PRESETS.items():
            with self.subTest(preset=key):
                self.assertEqual(CsvFormat.from_dict(preset.format.as_dict()), preset.format)
                self.assertTrue(format_preview(preset.format).rows)

    def test_each_order_preset_round_trips_its_fields(self) -> None:
        for preset in presets_for(ORDERS):
            with self.subTest(preset=preset.key):
                fmt = preset.format
                result = orders_from_csv(orders_to_csv(ORDERS_WRITTEN, fmt), fmt)
                self.assertEqual(result.errors, [])
                self.assertEqual([r.order_number for r in result.records], ["#1001", "#1002"])
                first = result.records[0]
                self.assertEqual(
                    [(line.sku, line.quantity) for line in first.lines],
                    [("MUG-RED", 2), ("TEE-L", 1), ("CAP-1", Decimal("1.5"))],
                )
                self.assertEqual(first.ship_to.last_name, 'O\'Neil "Joe"')
                self.assertEqual(first.ship_to.zip, "04210")
                self.assertEqual(first.ordered_at.date(), ORDERS_WRITTEN[0].ordered_at.date())

    def test_the_cartrover_preset_uses_cartrovers_names(self) -> None:
        header = orders_to_csv([], PRESETS["cartrover_orders"].format).decode().split(",")
        for name in ("cust_ref", "cust_po_no", "ship_e_mail", "cust_first_name", "item", "line_no"):
            self.assertIn(name, header)
        data = orders_to_csv([SAMPLE_ORDER], PRESETS["cartrover_orders"].format)
        self.assertIn(b",2026-03-14,", data)  # order_date is a date

    def test_shipment_and_inventory_presets_read_their_sample_back(self) -> None:
        fmt = PRESETS["hub_shipments"].format
        self.assertEqual(
            shipments_from_csv(shipments_to_csv([SAMPLE_SHIPMENT], fmt), fmt).records,
            [SAMPLE_SHIPMENT],
        )
        fmt = PRESETS["hub_inventory"].format
        self.assertEqual(
            inventory_from_csv(inventory_to_csv(SAMPLE_STOCK, fmt), fmt).records,
            list(SAMPLE_STOCK),
        )

    def test_settings_without_a_format_get_the_default(self) -> None:
        self.assertEqual(
            format_from_settings({}, "order_format", ORDERS), PRESETS["hub_orders"].format
        )
        stored = {"shipment_format": PRESETS["hub_shipments"].format.as_dict()}
        with self.assertRaises(FormatInvalid):
            format_from_settings(stored, "shipment_format", ORDERS)


class EncodingTests(TestCase):
    def test_it_reads_a_latin1_file_with_accents(self) -> None:
        fmt = replace(EVERY_STOCK_FIELD, encoding="latin-1", delimiter=";")
        data = (
            "SKU;Location;Location name;Available;On hand;Updated\r\n"
            "CRÈME-250;ZH;Zürich Lagerhalle;7;9;2026-02-03 04:05:06\r\n"
        ).encode("latin-1")
        self.assertIn(b"\xc8", data)  # È as one Latin-1 byte, not UTF-8's two
        (level,) = inventory_from_csv(data, fmt).records
        self.assertEqual((level.sku, level.location_name), ("CRÈME-250", "Zürich Lagerhalle"))

    def test_a_utf8_file_with_a_bom_reads_the_same_as_without(self) -> None:
        fmt = EVERY_STOCK_FIELD
        plain = inventory_to_csv(SAMPLE_STOCK, fmt)
        with_bom = inventory_to_csv(SAMPLE_STOCK, replace(fmt, encoding="utf-8-sig"))
        self.assertEqual(with_bom, b"\xef\xbb\xbf" + plain)
        self.assertEqual(inventory_from_csv(with_bom, fmt).records, list(SAMPLE_STOCK))

    def test_a_file_in_another_encoding_is_one_clear_error(self) -> None:
        data = "SKU,Available\r\nA,1\r\nCAFÉ,2\r\n".encode("latin-1")
        fmt = CsvFormat(direction=INVENTORY, columns=(Column("sku"), Column("available")))
        result = inventory_from_csv(data, fmt)
        self.assertTrue(result.rejected)
        self.assertEqual(result.records, [])
        (error,) = result.errors
        self.assertIn("not in UTF-8", str(error))
        self.assertIn("line 3", str(error))
        self.assertIn("0xC9", str(error))

    def test_an_order_the_encoding_cannot_hold_is_named(self) -> None:
        fmt = replace(EVERY_ORDER_FIELD, encoding="latin-1")
        euro = replace(ORDERS_WRITTEN[1], notes="Paid 5 €")
        with self.assertRaises(RecordError) as caught:
            orders_to_csv([ORDERS_WRITTEN[0], euro], fmt)
        self.assertEqual(caught.exception.record_ref, "AC-1002")
        self.assertIn("UTF-8", str(caught.exception))
        # Windows-1252 has the euro sign.
        data = orders_to_csv([euro], replace(fmt, encoding="cp1252"))
        self.assertIn(b"\x80", data)


INVENTORY_FORMAT = CsvFormat(
    direction=INVENTORY,
    columns=(Column("sku"), Column("location_id"), Column("available"), Column("updated_at")),
    date_format="%Y-%m-%d",
)


class BadRowTests(TestCase):
    def test_bad_rows_are_reported_by_line_and_good_rows_kept(self) -> None:
        data = (
            b"SKU,Location,Available,Updated\n"
            b"A-1,W1,5,2026-01-01\n"
            b"A-2,W1,lots,2026-01-01\n"
            b"\n"
            b"A-3,W1,7,01/02/2026\n"
            b",W1,3,2026-01-01\n"
            b"A-4,W1,2.5,2026-01-01\n"
            b"A-5,W2,0,\n"
        )
        result = inventory_from_csv(data, INVENTORY_FORMAT)
        self.assertFalse(result.rejected)
        self.assertEqual([level.sku for level in result.records], ["A-1", "A-5"])
        self.assertEqual([error.line for error in result.errors], [3, 5, 6, 7])
        messages = [str(error) for error in result.errors]
        self.assertIn("Line 3: “Available” (column 3): “lots” is not a number", messages[0])
        self.assertIn(
            "“01/02/2026” is not a date in the format's date format (2026-03-14)", messages[1]
        )
        self.assertIn("SKU is empty", messages[2])
        self.assertIn("“2.5” is not a whole number", messages[3])

    def test_line_numbers_count_line_breaks_inside_values(self) -> None:
        data = b'SKU,Location,Available,Updated\nA-1,"Shelf\nB",5,\nA-2,W1,x,\n'
        result = inventory_from_csv(data, INVENTORY_FORMAT)
        self.assertEqual(result.records[0].location_id, "Shelf\nB")
        self.assertEqual([error.line for error in result.errors], [4])

    def test_an_order_with_a_bad_row_is_set_aside_whole(self) -> None:
        fmt = PRESETS["hub_orders"].format
        text = orders_to_csv(ORDERS_WRITTEN, fmt).decode()
        lines = text.split("\r\n")
        # The first order's second line gets a quantity nobody can read.
        lines[2] = lines[2].replace(",1,25.00,", ",one,25.00,")
        result = orders_from_csv("\r\n".join(lines).encode(), fmt)
        self.assertEqual([record.order_number for record in result.records], ["#1002"])
        (error,) = result.errors
        self.assertEqual(error.line, 4)  # the row above it spans two lines (its notes)
        self.assertIn("“one” is not a number", error.message)
        self.assertIn("Order #1001 was set aside", error.message)

    def test_a_row_without_an_order_number_or_sku_is_reported(self) -> None:
        fmt = CsvFormat(
            direction=ORDERS,
            columns=(Column("order_number"), Column("line.sku"), Column("line.quantity")),
        )
        data = b"Order number,SKU,Quantity\n1,A,1\n,B,1\n2,,1\n3,C,\n"
        result = orders_from_csv(data, fmt)
        self.assertEqual([record.order_number for record in result.records], ["1"])
        self.assertEqual([error.line for error in result.errors], [3, 4, 5])
        self.assertIn("the order number is empty", result.errors[0].message)
        self.assertIn("SKU is empty", result.errors[1].message)
        self.assertIn("Quantity is empty", result.errors[2].message)

    def test_orders_are_gathered_by_number_wherever_their_rows_are(self) -> None:
        fmt = CsvFormat(
            direction=ORDERS,
            columns=(Column("order_number"), Column("line.sku"), Column("line.quantity")),
            header=False,
        )
        received = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
        result = orders_from_csv(b"7,A,1\n8,B,2\n7,C,3\n", fmt, received_at=received)
        self.assertEqual(
            [
                (r.order_number, [line.sku for line in r.lines], r.ordered_at)
                for r in result.records
            ],
            [("7", ["A", "C"], received), ("8", ["B"], received)],
        )
        self.assertEqual([line.source_line_id for line in result.records[0].lines], ["1", "2"])


class WrongFileTests(TestCase):
    def test_a_wrong_header_is_one_clear_error(self) -> None:
        data = b"Item,Qty\nA,1\nB,2\n"
        result = inventory_from_csv(data, INVENTORY_FORMAT)
        self.assertTrue(result.rejected)
        self.assertEqual(result.records, [])
        (error,) = result.errors
        self.assertIn("column 1 is “Item”, the format expects “SKU”", error.message)

    def test_a_wrong_delimiter_is_named(self) -> None:
        data = b"SKU;Location;Available;Updated\nA;W;1;2026-01-01\n"
        (error,) = inventory_from_csv(data, INVENTORY_FORMAT).errors
        self.assertTrue(error.whole_file)
        self.assertIn("it seems to use the semicolon", error.message)

    def test_a_header_the_format_does_not_expect_is_named(self) -> None:
        data = b"SKU,Location,Available,Updated\nA,W,1,2026-01-01\n"
        (error,) = inventory_from_csv(data, replace(INVENTORY_FORMAT, header=False)).errors
        self.assertIn("tick “Header row”", error.message)

    def test_headers_match_whatever_their_case_and_spacing(self) -> None:
        data = b"sku ,  location,AVAILABLE,updated\nA,W,1,2026-01-01\n"
        self.assertEqual(len(inventory_from_csv(data, INVENTORY_FORMAT).records), 1)

    def test_a_format_that_cannot_read_says_what_it_lacks(self) -> None:
        fmt = CsvFormat(direction=INVENTORY, columns=(Column("sku"), Column("on_hand")))
        (error,) = inventory_from_csv(b"SKU,On hand\nA,1\n", fmt).errors
        self.assertIn("“Available” column", error.message)

    def test_an_empty_file_has_nothing_and_no_error(self) -> None:
        for data in (b"", b"SKU,Location,Available,Updated\r\n"):
            result = inventory_from_csv(data, INVENTORY_FORMAT)
            self.assertEqual((result.records, result.errors), ([], []))


class FormatCheckTests(TestCase):
    def test_problems_are_sentences(self) -> None:
        cases = {
            "is in two columns": {"columns": (Column("sku"), Column("sku"), Column("available"))},
            "cannot be read back": {"date_format": "%Q"},
            "is not a time zone": {"timezone": "Mars/Olympus"},
            "Choose a delimiter": {"delimiter": "x"},
            "Add at least one column": {"columns": ()},
            "not a hub field": {"columns": (Column("price"),)},
            "cannot be written in Latin-1": {
                "encoding": "latin-1",
                "columns": (Column("sku", header="Артикул"),),
            },
            "constant for Available": {"constants": (("available", "many"),)},
        }
        for expected, options in cases.items():
            with self.subTest(expected):
                with self.assertRaises(FormatInvalid) as caught:
                    replace(INVENTORY_FORMAT, **options)
                self.assertIn(expected, " ".join(caught.exception.problems))

    def test_grouped_product_columns_must_sit_together(self) -> None:
        with self.assertRaises(FormatInvalid) as caught:
            CsvFormat(
                direction=ORDERS,
                columns=(Column("line.sku"), Column("order_number"), Column("line.quantity")),
                layout=GROUPED,
                group_count=2,
            )
        self.assertIn("move “Order number” before or after them", str(caught.exception))

    def test_stored_data_that_is_not_a_format_is_refused(self) -> None:
        for data in (
            [],
            {"direction": "orders", "columns": "abc"},
            {"direction": "parcels"},
            {**INVENTORY_FORMAT.as_dict(), "delimiter": [","]},
            {**INVENTORY_FORMAT.as_dict(), "header": "yes"},
        ):
            with self.subTest(data=data), self.assertRaises(FormatInvalid):
                CsvFormat.from_dict(data)  # type: ignore[arg-type]
