"""Aliases, kits and item filters in bulk: a CSV read, previewed row by row, then applied."""

from __future__ import annotations

import csv
import hashlib
import io
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Merchant
from carts.models import CartConnection
from inventory.models import ItemFilter, KitComponent, ProductAlias
from inventory.rule_edits import (
    MAX_SKU_LENGTH,
    held_orders_release_for_skus,
    item_filter_sku_check,
)

# The upload waits in the session between preview and import; the cap keeps sessions small.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
ADD, UPDATE, UNCHANGED = "add", "update", "unchanged"


# --- CSV: read, preview, apply, export -----------------------------------------------------


class RowError(Exception):
    """One row of a file is bad; the message says why, in words for the person importing."""


@dataclass(frozen=True)
class GoodRow:
    line: int
    values: dict[str, Any]
    action: str
    before: str = ""  # what an update replaces, shown in the preview


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str
    text: str


@dataclass
class Preview:
    """What importing a file would do: rows to add, update or leave, and each bad row."""

    rows: list[GoodRow] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)

    def _with(self, action: str) -> list[GoodRow]:
        return [row for row in self.rows if row.action == action]

    @property
    def to_add(self) -> list[GoodRow]:
        return self._with(ADD)

    @property
    def to_update(self) -> list[GoodRow]:
        return self._with(UPDATE)

    @property
    def unchanged(self) -> list[GoodRow]:
        return self._with(UNCHANGED)

    @property
    def to_apply(self) -> list[GoodRow]:
        return [row for row in self.rows if row.action != UNCHANGED]


@dataclass(frozen=True)
class ImportOutcome:
    added: int
    updated: int
    unchanged: int
    bad: list[BadRow]
    released: int


def _required(values: dict[str, str], name: str) -> str:
    value = values.get(name)
    if value is None:
        raise RowError(f"missing column “{name}”: the row has fewer values than the header")
    value = value.strip()
    if not value:
        raise RowError(f"empty {name}")
    if len(value) > MAX_SKU_LENGTH:
        raise RowError(f"{name} is longer than {MAX_SKU_LENGTH} characters")
    return value


class BulkKind(ABC):
    """One kind of row a file can hold; the owner is a merchant, or a cart for filters."""

    key = ""
    label = ""
    columns: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    fixes = ""  # what the import fixes, for the history of the orders it releases

    @abstractmethod
    def existing(self, owner: Any) -> dict[tuple, tuple]:
        """The owner's rows now, as {row key: row value}, to preview adds and updates."""

    @abstractmethod
    def clean(self, values: dict[str, str]) -> dict[str, Any]:
        """One row's cells checked and typed; RowError says what is wrong with it."""

    @abstractmethod
    def row_key(self, values: dict[str, Any]) -> tuple:
        """What names the row (an alias, a kit and component): a second one is a duplicate."""

    def row_value(self, values: dict[str, Any]) -> tuple:
        return ()

    def describe(self, value: tuple) -> str:
        return ", ".join(str(part) for part in value)

    @abstractmethod
    def export_rows(self, owner: Any) -> Iterator[list[str]]:
        """The owner's rows in the file's columns, for the export."""

    @abstractmethod
    def apply(self, owner: Any, rows: list[GoodRow], *, why: str, user_id: int | None) -> int:
        """Write the rows; return how many held orders this released."""


# Codes or labels, any case ("merchant_sku", "Merchant SKU"; CartRover's "merchantSKU").
KIND_BY_NAME = {kind.value: kind.value for kind in ProductAlias.Kind} | {
    "merchantsku": ProductAlias.Kind.MERCHANT_SKU.value
}


class AliasKind(BulkKind):
    key = "aliases"
    label = "aliases"
    columns = ("alias", "sku", "kind")
    required = ("alias", "sku")
    fixes = "the WMS gets the SKU the alias points at now"

    def existing(self, owner: Merchant) -> dict[tuple, tuple]:
        rows = ProductAlias.objects.filter(merchant=owner).values_list("alias", "sku", "kind")
        return {(alias,): (sku, kind) for alias, sku, kind in rows.iterator()}

    def clean(self, values: dict[str, str]) -> dict[str, Any]:
        alias, sku = _required(values, "alias"), _required(values, "sku")
        written = (values.get("kind") or "").strip()
        kind = KIND_BY_NAME.get(written.lower().replace(" ", "_"))
        if written and kind is None:
            choices = ", ".join(ProductAlias.Kind.values)
            raise RowError(f"unknown kind “{written}”: use one of {choices}")
        return {"alias": alias, "sku": sku, "kind": kind or ProductAlias.Kind.SKU}

    def row_key(self, values: dict[str, Any]) -> tuple:
        return (values["alias"],)

    def row_value(self, values: dict[str, Any]) -> tuple:
        return (values["sku"], values["kind"])

    def describe(self, value: tuple) -> str:
        return f"→ {value[0]} ({ProductAlias.Kind(value[1]).label})"

    def export_rows(self, owner: Merchant) -> Iterator[list[str]]:
        aliases = ProductAlias.objects.filter(merchant=owner).order_by("alias")
        for alias, sku, kind in aliases.values_list("alias", "sku", "kind").iterator(2000):
            yield [alias, sku, kind]

    def apply(self, owner: Merchant, rows: list[GoodRow], *, why: str, user_id: int | None) -> int:
        ProductAlias.objects.bulk_create(
            [
                ProductAlias(account_id=owner.account_id, merchant=owner, **row.values)
                for row in rows
            ],
            update_conflicts=True,
            unique_fields=["merchant", "alias"],
            update_fields=["sku", "kind"],
            batch_size=1000,
        )
        skus = [row.values["alias"] for row in rows]
        return len(
            held_orders_release_for_skus(merchant_id=owner.id, skus=skus, why=why, user_id=user_id)
        )


class KitKind(BulkKind):
    key = "kits"
    label = "kit components"
    columns = ("kit_sku", "component_sku", "quantity")
    required = ("kit_sku", "component_sku", "quantity")
    fixes = "the WMS gets the kit's components now"

    def existing(self, owner: Merchant) -> dict[tuple, tuple]:
        rows = KitComponent.objects.filter(merchant=owner).values_list(
            "kit_sku", "component_sku", "quantity"
        )
        return {(kit, component): (quantity,) for kit, component, quantity in rows.iterator()}

    def clean(self, values: dict[str, str]) -> dict[str, Any]:
        kit_sku = _required(values, "kit_sku")
        component_sku = _required(values, "component_sku")
        written = _required(values, "quantity")
        try:
            quantity = int(written)
        except ValueError:
            raise RowError(f"quantity “{written}” is not a whole number") from None
        if quantity < 1:
            raise RowError(f"quantity {quantity} is less than 1")
        if kit_sku == component_sku:
            raise RowError(f"a kit cannot contain itself ({kit_sku})")
        return {"kit_sku": kit_sku, "component_sku": component_sku, "quantity": quantity}

    def row_key(self, values: dict[str, Any]) -> tuple:
        return (values["kit_sku"], values["component_sku"])

    def row_value(self, values: dict[str, Any]) -> tuple:
        return (values["quantity"],)

    def describe(self, value: tuple) -> str:
        return f"quantity {value[0]}"

    def export_rows(self, owner: Merchant) -> Iterator[list[str]]:
        components = KitComponent.objects.filter(merchant=owner).order_by(
            "kit_sku", "component_sku"
        )
        rows = components.values_list("kit_sku", "component_sku", "quantity")
        for kit_sku, component_sku, quantity in rows.iterator(2000):
            yield [kit_sku, component_sku, str(quantity)]

    def apply(self, owner: Merchant, rows: list[GoodRow], *, why: str, user_id: int | None) -> int:
        KitComponent.objects.bulk_create(
            [
                KitComponent(account_id=owner.account_id, merchant=owner, **row.values)
                for row in rows
            ],
            update_conflicts=True,
            unique_fields=["merchant", "kit_sku", "component_sku"],
            update_fields=["quantity"],
            batch_size=1000,
        )
        skus = [row.values["kit_sku"] for row in rows]
        return len(
            held_orders_release_for_skus(merchant_id=owner.id, skus=skus, why=why, user_id=user_id)
        )


class ItemFilterKind(BulkKind):
    key = "filters"
    label = "item filter SKUs"
    columns = ("sku",)
    required = ("sku",)

    def existing(self, owner: CartConnection) -> dict[tuple, tuple]:
        skus = ItemFilter.objects.filter(cart=owner).values_list("sku", flat=True)
        return {(sku,): () for sku in skus.iterator()}

    def clean(self, values: dict[str, str]) -> dict[str, Any]:
        sku = _required(values, "sku")
        try:
            return {"sku": item_filter_sku_check(sku)}
        except ValidationError as error:
            raise RowError(error.messages[0].rstrip(".")) from None

    def row_key(self, values: dict[str, Any]) -> tuple:
        return (values["sku"],)

    def export_rows(self, owner: CartConnection) -> Iterator[list[str]]:
        skus = ItemFilter.objects.filter(cart=owner).order_by("sku").values_list("sku", flat=True)
        for sku in skus.iterator(2000):
            yield [sku]

    def apply(
        self, owner: CartConnection, rows: list[GoodRow], *, why: str, user_id: int | None
    ) -> int:
        ItemFilter.objects.bulk_create(
            [
                ItemFilter(
                    account_id=owner.account_id,
                    merchant_id=owner.merchant_id,
                    cart=owner,
                    **row.values,
                )
                for row in rows
            ],
            ignore_conflicts=True,
            batch_size=1000,
        )
        return 0


BULK_KINDS: dict[str, BulkKind] = {
    kind.key: kind for kind in (AliasKind(), KitKind(), ItemFilterKind())
}


def bulk_text(content: bytes) -> str:
    """The uploaded file as text: UTF-8 (with or without Excel's BOM), else Windows-1252."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise ValidationError("The file is larger than 2 MB. Split it into smaller files.")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError as error:
        raise ValidationError("This is not a text CSV file. Save it as CSV (UTF-8).") from error


def _header(kind: BulkKind, names: list[str]) -> list[str]:
    header = [name.strip().lower() for name in names]
    missing = [name for name in kind.required if name not in header]
    if missing:
        hint = " Separate the columns with commas." if len(header) == 1 else ""
        raise ValidationError(
            f"Line 1 must name the columns ({', '.join(kind.columns)}); "
            f"it has no {', '.join(missing)} column.{hint}"
        )
    return header


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Each record with the line it starts on (a quoted value may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    next_line = 1
    try:
        for values in reader:
            yield next_line, values
            next_line = reader.line_num + 1
    except csv.Error as error:
        raise ValidationError(
            f"Line {next_line} cannot be read as CSV ({error}). Nothing after it was read."
        ) from error


def bulk_preview(*, kind: BulkKind, owner: Any, text: str) -> Preview:
    """What importing `text` would do; raises ValidationError when the file as a whole is
    unusable (no header, unreadable), otherwise reports each bad row and goes on."""
    records = _records(text)
    first = next(records, None)
    if first is None:
        raise ValidationError("The file is empty: the first line must name the columns.")
    header = _header(kind, first[1])
    existing = kind.existing(owner)
    preview, seen = Preview(), {}
    for line, raw in records:
        if not any(value.strip() for value in raw):
            continue  # blank lines are no rows
        try:
            values = kind.clean(dict(zip(header, raw, strict=False)))
            key = kind.row_key(values)
            if key in seen:
                raise RowError(f"duplicate of line {seen[key]} in this file")
        except RowError as error:
            preview.bad.append(BadRow(line=line, reason=str(error), text=",".join(raw)))
            continue
        seen[key] = line
        preview.rows.append(_good_row(kind, line, values, existing.get(key)))
    return preview


def _good_row(kind: BulkKind, line: int, values: dict[str, Any], before: tuple | None) -> GoodRow:
    if before is None:
        return GoodRow(line=line, values=values, action=ADD)
    if before == kind.row_value(values):
        return GoodRow(line=line, values=values, action=UNCHANGED)
    return GoodRow(line=line, values=values, action=UPDATE, before=kind.describe(before))


@transaction.atomic
def bulk_import(
    *, kind: BulkKind, owner: Any, text: str, file_name: str, user_id: int | None
) -> ImportOutcome:
    """Apply the good rows of the file in one transaction; bad rows are reported, never
    applied, and never stop the good ones."""
    preview = bulk_preview(kind=kind, owner=owner, text=text)
    rows = preview.to_apply
    why = f"{kind.label.capitalize()} imported from {file_name}: {kind.fixes}."
    released = kind.apply(owner, rows, why=why, user_id=user_id) if rows else 0
    return ImportOutcome(
        added=len(preview.to_add),
        updated=len(preview.to_update),
        unchanged=len(preview.unchanged),
        bad=preview.bad,
        released=released,
    )


class _Echo:
    """csv.writer writes into this and gets the line back, so rows stream one by one."""

    def write(self, value: str) -> str:
        return value


def bulk_export(*, kind: BulkKind, owner: Any) -> Iterator[str]:
    """The owner's rows as CSV lines, header first, read in chunks: any size streams."""
    writer = csv.writer(_Echo())
    yield writer.writerow(kind.columns)
    for row in kind.export_rows(owner):
        yield writer.writerow(row)


def upload_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
