"""Rows as tuples of column values: each model's columns, defaults and encoders, derived once."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from itertools import repeat
from operator import is_, itemgetter
from typing import Any
from uuid import UUID

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from orders.models import Order, OrderEvent, OrderLine, Shipment

Row = tuple[Any, ...]
# (a column's values, connection) -> those values in COPY's text format
ColumnWriter = Callable[[Sequence[Any], Any], Sequence[str]]
# (a value, connection) -> the value prepared by its field, in COPY's text format
Prepared = Callable[[Any, Any], str]

# COPY's text format: a tab between columns, a newline after each row and \N for NULL; so a
# backslash, tab, newline or carriage return inside a value is written as an escape.
COPY_NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


class Table:
    """A model's columns but its generated id, in the order a row gives their values.

    A page of a download writes hundreds of rows: building a model object for each, and
    letting Django prepare each value field by field, was most of a page's time. A row
    here is a plain tuple, and how each column's value reaches the database is derived
    once per column. Values are stored as given: no `save()`, no `pre_save()`.
    """

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.fields = tuple(
            field for field in model._meta.concrete_fields if field is not model._meta.auto_field
        )
        for field in self.fields:
            # pre_save() would set these; a row written as given would not.
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                raise ImproperlyConfigured(f"{field} sets itself on save: not written as rows.")
        self.names = tuple(field.attname for field in self.fields)
        self.columns = tuple(field.column for field in self.fields)
        self._known = frozenset(self.names)
        self._pick = itemgetter(*self.names)
        self._copy_writers = tuple(_copy_writer(field) for field in self.fields)

    def rows(self, values: Iterable[Mapping[str, Any]]) -> list[Row]:
        """A row for each mapping of attribute names to values. A column a mapping leaves
        out takes the model's default, evaluated once for the call (a page's rows share
        one `timezone.now`)."""
        defaults = {
            name: field.get_default() for name, field in zip(self.names, self.fields, strict=True)
        }
        rows = []
        for given in values:
            if not given.keys() <= self._known:  # as Model(**values) would refuse them
                unknown = ", ".join(sorted(given.keys() - self._known))
                raise TypeError(f"{self.model.__name__} has no field(s) {unknown}.")
            rows.append(self._pick({**defaults, **given}))
        return rows

    def copy_text(self, rows: Sequence[Row], connection: Any) -> str:
        """The rows in PostgreSQL COPY's text format, columns in `columns` order."""
        if not rows:
            return ""
        # A column at a time, so each value costs a type check and its conversion rather
        # than a function call; the columns are then zipped back into lines. (zip's strict
        # refuses a row with a value too many or too few.)
        texts = [
            _column_text(write, values, connection)
            for write, values in zip(self._copy_writers, zip(*rows, strict=True), strict=True)
        ]
        return "\n".join(map("\t".join, zip(*texts, strict=True))) + "\n"

    def params(self, rows: Iterable[Row], connection: Any) -> list[Any]:
        """The rows' values as the database driver takes them, row after row, each through
        its field's own preparation: for an INSERT's parameters (SQLite's path, shipments')."""
        fields = self.fields
        return [
            field.get_db_prep_save(value, connection)
            for row in rows
            for value, field in zip(row, fields, strict=True)
        ]


def _column_text(write: ColumnWriter, values: Sequence[Any], connection: Any) -> Sequence[str]:
    first = values[0]
    # The same object in every row (an id, a default, the page's time) is written once.
    if all(map(is_, values, repeat(first))):
        return write((first,), connection) * len(values)
    return write(values, connection)


def _copy_writer(field: models.Field) -> ColumnWriter:  # type: ignore[type-arg]
    """How a column's values become COPY text. None, and the value types a download gives
    each kind of field, are written directly, a column at a time; any other value (and
    every value of a field of a kind not listed, such as an encrypted one) goes through the
    field's own get_db_prep_save first, as Django's INSERT would."""

    def prepared(value: Any, connection: Any) -> str:
        return _copy_value(field.get_db_prep_save(value, connection))

    kind = _FAST_WRITERS.get(type(field))
    if kind is None:
        return lambda values, connection: [prepared(value, connection) for value in values]
    # Each kind listed stores None as NULL, as Django does.
    return kind(field, prepared)


def _text_writer(field: models.Field, prepared: Prepared) -> ColumnWriter:  # type: ignore[type-arg]
    # A str subclass (a TextChoices member) is stored as its text, as the field does.
    def write(values: Sequence[Any], connection: Any) -> Sequence[str]:
        # The usual column: text with nothing to escape, seen in one pass.
        if set(map(type, values)) == {str} and not _COPY_SPECIAL.search("".join(values)):
            return values
        return [
            COPY_NULL
            if value is None
            else value.translate(_COPY_ESCAPES)
            if isinstance(value, str)
            else prepared(value, connection)
            for value in values
        ]

    return write


def _boolean_writer(field: models.Field, prepared: Prepared) -> ColumnWriter:  # type: ignore[type-arg]
    def write(values: Sequence[Any], connection: Any) -> list[str]:
        return [
            ("t" if value else "f") if type(value) is bool else prepared(value, connection)
            for value in values
        ]

    return write


def _integer_writer(field: models.Field, prepared: Prepared) -> ColumnWriter:  # type: ignore[type-arg]
    def write(values: Sequence[Any], connection: Any) -> list[str]:
        return [
            COPY_NULL
            if value is None
            else str(value)
            if type(value) is int
            else prepared(value, connection)
            for value in values
        ]

    return write


def _decimal_writer(field: models.Field, prepared: Prepared) -> ColumnWriter:  # type: ignore[type-arg]
    # NaN and infinities take the field's path, which refuses them (ValidationError).
    def write(values: Sequence[Any], connection: Any) -> list[str]:
        return [
            str(value)
            if type(value) is Decimal and value.is_finite()
            else COPY_NULL
            if value is None
            else prepared(value, connection)
            for value in values
        ]

    return write


def _datetime_writer(field: models.Field, prepared: Prepared) -> ColumnWriter:  # type: ignore[type-arg]
    # A naive datetime takes the field's path: it warns and applies the current time zone.
    def write(values: Sequence[Any], connection: Any) -> list[str]:
        return [
            COPY_NULL
            if value is None
            else value.isoformat()
            if type(value) is datetime and value.tzinfo is not None
            else prepared(value, connection)
            for value in values
        ]

    return write


def _json_writer(field: models.Field, prepared: Prepared) -> ColumnWriter:  # type: ignore[type-arg]
    # What json.dumps(value, cls=field.encoder) does, as Django's does, without making an
    # encoder for each value.
    encoder = field.encoder  # type: ignore[attr-defined]
    dumps = (encoder or json.JSONEncoder)().encode
    # The default encoder writes no raw tab, newline or carriage return (it escapes them),
    # so doubling the backslashes is all COPY needs, and far quicker than translate(); an
    # encoder of the field's own might indent.
    escape = _double_backslashes if encoder is None else _copy_escape

    def write(values: Sequence[Any], connection: Any) -> list[str]:
        return [
            escape(dumps(value))
            if type(value) is dict
            else COPY_NULL
            if value is None
            else prepared(value, connection)
            for value in values
        ]

    return write


_FAST_WRITERS: dict[type, Callable[[Any, Prepared], ColumnWriter]] = {
    models.CharField: _text_writer,
    models.TextField: _text_writer,
    models.BooleanField: _boolean_writer,
    models.SmallIntegerField: _integer_writer,
    models.IntegerField: _integer_writer,
    models.BigIntegerField: _integer_writer,
    models.PositiveSmallIntegerField: _integer_writer,
    models.PositiveIntegerField: _integer_writer,
    models.PositiveBigIntegerField: _integer_writer,
    models.ForeignKey: _integer_writer,  # an integer id; a key of another type takes its path
    models.DecimalField: _decimal_writer,
    models.DateTimeField: _datetime_writer,
    models.JSONField: _json_writer,
}


def _double_backslashes(text: str) -> str:
    return text.replace("\\", "\\\\")


def _copy_escape(text: str) -> str:
    return text.translate(_COPY_ESCAPES)


def _copy_value(value: Any) -> str:
    """A value prepared by its field (what psycopg2 would be given), in COPY text."""
    if value is None:
        return COPY_NULL
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | float | Decimal | UUID):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\\\x" + bytes(value).hex()  # bytea's hex form, its backslash escaped
    if hasattr(value, "adapted") and hasattr(value, "dumps"):  # a JSON value for psycopg2
        return value.dumps(value.adapted).translate(_COPY_ESCAPES)
    raise TypeError(f"No COPY text for a {type(value).__name__}.")


ORDERS = Table(Order)
ORDER_LINES = Table(OrderLine)
ORDER_EVENTS = Table(OrderEvent)
SHIPMENTS = Table(Shipment)
