"""A person's edit of an order the WMS does not have yet: address, ship code, lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from integration_manager.records import Address
from jobs.services import schedules_trigger
from orders.jobs import ORDER_DELIVERY
from orders.models import HoldReason, Order, OrderLine, OrderStatus
from orders.services.events import order_event_write
from orders.services.release import held_orders_release
from wms.models import ShipMethodMap

ADDRESS_FIELDS = (
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("company", "Company"),
    ("address_1", "Street"),
    ("address_2", "Street, line 2"),
    ("address_3", "Street, line 3"),
    ("city", "City"),
    ("state", "State"),
    ("zip", "Postal code"),
    ("country", "Country"),
    ("phone", "Phone"),
    ("email", "E-mail"),
)
# Holds an edit can fix, by what the edit must have touched to fix them.
ADDRESS_HOLDS = frozenset({HoldReason.MISSING_ADDRESS})
LINE_HOLDS = frozenset({HoldReason.UNKNOWN_SKU, HoldReason.BAD_QUANTITY, HoldReason.NO_LINES})


class OrderChanged(ValidationError):
    """The order changed after the form was opened: the edit is not saved over it."""


@dataclass(frozen=True)
class LineEdit:
    """One line of the form: line_id None is a new line."""

    line_id: int | None
    sku: str
    quantity: Decimal
    remove: bool = False


def order_is_editable(order: Order) -> bool:
    """Held, or new and not being sent: the WMS does not have it, and no run is sending it."""
    if order.status == OrderStatus.ERROR:
        return True
    return order.status == OrderStatus.NEW and order.delivery_started_at is None


def order_editable_lines(order: Order) -> list[OrderLine]:
    """Lines a person may change: not dropped by an item filter, not a kit's component."""
    return list(order.lines.filter(filtered=False, kit_parent=None))


def order_edit(
    *,
    order: Order,
    user: User,
    ship_to: dict[str, str],
    ship_code: str,
    lines: list[LineEdit],
    seen_updated_at: datetime,
) -> Order:
    """Save a person's edit with a readable diff in the history, then re-queue the order:
    held for a reason the edit fixes, it goes back to new at once (no Resend needed)."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(id=order.id)
        if not order_is_editable(locked):
            raise ValidationError(
                "This order can no longer be edited: it was sent to the WMS or is being sent."
            )
        if locked.updated_at != seen_updated_at:
            raise OrderChanged(
                "The order changed while you were editing it (a download or a run touched "
                "it). The form now shows its current values: make your change again."
            )
        address_changes = _address_diff(locked.ship_to, ship_to)
        ship_change = _ship_code_diff(locked.ship_code, ship_code)
        line_changes = _lines_apply(locked, lines)
        changes = address_changes + ship_change + line_changes
        if not changes:
            raise ValidationError("Nothing was changed, so nothing was saved.")
        new_ship_to = {**locked.ship_to, **ship_to}
        new_ship_to = {key: value for key, value in new_ship_to.items() if value}
        Order.objects.filter(id=locked.id).update(
            ship_to=new_ship_to,
            ship_name=Address.from_dict(new_ship_to).name[:200],
            ship_code=ship_code,
            not_before=None,
            ready_at=None,  # checked again before a warehouse that pulls orders takes it
            updated_at=timezone.now(),
        )
        order_event_write(
            locked,
            from_status=locked.status,
            to_status=locked.status,
            message=f"Edited by {user.email}: {'; '.join(changes)}.",
            user_id=user.id,
        )
        fixed = _holds_fixed(
            locked,
            address=bool(address_changes),
            ship_code=ship_code if ship_change else None,
            lines=bool(line_changes),
        )
        if locked.status == OrderStatus.ERROR and locked.error_code in fixed:
            held_orders_release(
                Order.objects.filter(id=locked.id),
                codes=fixed,
                why=f"Released by the edit of {user.email}: it goes to the WMS again.",
                user_id=user.id,
            )
        elif locked.status == OrderStatus.NEW:
            schedules_trigger(service=ORDER_DELIVERY, merchant_id=locked.merchant_id)
    return Order.objects.get(id=order.id)


def _shown(value: object) -> str:
    return str(value) if value not in ("", None) else "(empty)"


def _quantity(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _address_diff(before: dict[str, str], after: dict[str, str]) -> list[str]:
    changes = []
    for field, label in ADDRESS_FIELDS:
        old, new = str(before.get(field) or ""), str(after.get(field) or "")
        if field in after and old != new:
            changes.append(f"{label}: {_shown(old)} → {_shown(new)}")
    return changes


def _ship_code_diff(before: str, after: str) -> list[str]:
    return [f"Ship code: {_shown(before)} → {_shown(after)}"] if before != after else []


def _lines_apply(order: Order, edits: list[LineEdit]) -> list[str]:
    """Change, remove and add lines; the changes as words. Only editable lines are touched."""
    editable = {line.id: line for line in order_editable_lines(order)}
    # Numbered after every line there was, so a new line never takes a removed one's number.
    last = order.lines.aggregate(last=Max("line_number"))["last"] or 0
    changes: list[str] = []
    for edit in edits:
        if edit.line_id is None:
            continue
        line = editable.get(edit.line_id)
        if line is None:
            raise ValidationError("A line of the form is not an editable line of this order.")
        changes += _line_change(line, edit)
    added = [edit for edit in edits if edit.line_id is None and not edit.remove]
    if added:
        for number, edit in enumerate(added, start=last + 1):
            _quantity_check(edit.quantity)
            OrderLine.objects.create(
                account_id=order.account_id,
                merchant_id=order.merchant_id,
                order=order,
                line_number=number,
                sku=edit.sku,
                wms_sku=edit.sku,
                quantity=edit.quantity,
            )
            changes.append(f"Line {number} added: {edit.sku} × {_quantity(edit.quantity)}")
    if changes and not order.lines.filter(filtered=False).exists():
        raise ValidationError("An order needs a line to ship: add one, or keep one.")
    return changes


def _quantity_check(quantity: Decimal) -> None:
    if quantity <= 0:
        raise ValidationError("A line needs a quantity above 0; to drop a line, tick Remove.")


def _line_change(line: OrderLine, edit: LineEdit) -> list[str]:
    if edit.remove:
        line.delete()
        return [f"Line {line.line_number} removed: {line.sku} × {_quantity(line.quantity)}"]
    _quantity_check(edit.quantity)
    changes = []
    if edit.sku != line.sku:
        changes.append(f"Line {line.line_number} SKU: {line.sku} → {edit.sku}")
        # A new cart SKU is what the WMS gets, unless delivery maps it by an alias.
        line.sku = line.wms_sku = edit.sku
    if edit.quantity != line.quantity:
        changes.append(
            f"Line {line.line_number} quantity: {_quantity(line.quantity)} → "
            f"{_quantity(edit.quantity)}"
        )
        line.quantity = edit.quantity
    if changes:
        line.save(update_fields=["sku", "wms_sku", "quantity"])
    return changes


def _holds_fixed(order: Order, *, address: bool, ship_code: str | None, lines: bool) -> set[str]:
    """The hold codes this edit fixes: what it touched, and a refusal by the WMS (an edit
    is what a person does about one)."""
    fixed: set[str] = {HoldReason.WMS_REFUSED}
    if address:
        fixed |= ADDRESS_HOLDS
    if lines:
        fixed |= LINE_HOLDS
    if ship_code is not None and _ship_code_mapped(order, ship_code):
        fixed.add(HoldReason.UNMAPPED_SHIP_METHOD)
    return fixed


def _ship_code_mapped(order: Order, ship_code: str) -> bool:
    entry = ShipMethodMap.objects.filter(cart_id=order.cart_id, cart_code=ship_code).first()
    if entry is not None and (entry.wms_code or entry.passthrough):
        return True
    return not order.cart.reject_unmapped_ship_methods
