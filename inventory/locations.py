"""Writes for a merchant's locations: the default one, renaming, the default flag, disabling."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Merchant
from carts.models import CartConnection
from inventory.jobs import INVENTORY_UPLOAD
from inventory.models import InventoryLevel, Location
from jobs.services import schedules_trigger

# The WMS id of the location made for every merchant: a level the WMS reports without a
# warehouse has this empty id too, so the two meet without a special case.
DEFAULT_LOCATION_ID = ""
DEFAULT_LOCATION_NAME = "Default"
NAME_MAX_LENGTH = Location._meta.get_field("name").max_length


def _merchant_lock(merchant_id: int) -> None:
    """Serialise changes of a merchant's default flag: no constraint keeps it to one row, so
    every writer of is_default takes the merchant row's lock first."""
    Merchant.objects.select_for_update().filter(id=merchant_id).exists()


def location_default_get(*, merchant: Merchant) -> Location | None:
    return Location.objects.filter(merchant=merchant, is_default=True).order_by("id").first()


def location_default_ensure(*, merchant: Merchant) -> Location:
    """The merchant's default location, made ("Default", empty WMS id) if it has none."""
    default = location_default_get(merchant=merchant)
    if default is not None:
        return default
    with transaction.atomic():
        _merchant_lock(merchant.id)
        default = location_default_get(merchant=merchant)  # another writer may have won
        if default is not None:
            return default
        location, _ = Location.objects.get_or_create(
            merchant=merchant,
            wms_location_id=DEFAULT_LOCATION_ID,
            defaults={"account_id": merchant.account_id, "name": DEFAULT_LOCATION_NAME},
        )
        Location.objects.filter(id=location.id).update(is_default=True, enabled=True)
        location.is_default, location.enabled = True, True
        return location


def location_rename(*, location: Location, name: str) -> Location:
    """Give a location the name people know it by; a later pickup never renames it back."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Enter a name for the location."})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": f"Use at most {NAME_MAX_LENGTH} characters."})
    taken = Location.objects.filter(merchant_id=location.merchant_id, name__iexact=name).exclude(
        id=location.id
    )
    if taken.exists():
        # Columns of the stock screen and the CSV export are headed by name.
        raise ValidationError({"name": "Another location of this merchant has this name."})
    location.name = name
    location.save(update_fields=["name"])
    return location


@transaction.atomic
def location_make_default(*, location: Location) -> Location:
    """Make this the merchant's one default location (where levels without a warehouse go)."""
    _merchant_lock(location.merchant_id)
    location.refresh_from_db(fields=["enabled", "is_default"])
    if not location.enabled:
        raise ValidationError("A disabled location cannot be the default. Enable it first.")
    Location.objects.filter(merchant_id=location.merchant_id, is_default=True).exclude(
        id=location.id
    ).update(is_default=False)
    Location.objects.filter(id=location.id).update(is_default=True)
    location.is_default = True
    return location


@transaction.atomic
def location_set_enabled(*, location: Location, enabled: bool) -> int:
    """Enable or disable a location (a disabled one's stock is kept, but no cart gets it).
    Returns how many carts' inventory uploads were made due by the change."""
    _merchant_lock(location.merchant_id)
    location.refresh_from_db(fields=["enabled", "is_default"])
    if location.is_default and not enabled:
        raise ValidationError(
            "The default location cannot be disabled: make another location the default first."
        )
    if location.enabled == enabled:
        return 0
    Location.objects.filter(id=location.id).update(enabled=enabled)
    location.enabled = enabled
    # What the carts should show moved although no quantity did: marking the location's
    # levels changed lets an upload that reads only changes see them.
    InventoryLevel.objects.filter(location=location).update(changed_at=timezone.now())
    carts = location_cart_ids(merchant_id=location.merchant_id, location_ids={location.id})
    return schedules_trigger(service=INVENTORY_UPLOAD, cart_ids=carts) if carts else 0


def location_cart_ids(*, merchant_id: int, location_ids: set[int]) -> list[int]:
    """The merchant's enabled carts whose stock reads any of these locations: carts bound to
    one of them, and carts that add up all enabled locations."""
    if not location_ids:
        return []
    carts = CartConnection.objects.filter(merchant_id=merchant_id, enabled=True).filter(
        Q(inventory_location__isnull=True) | Q(inventory_location_id__in=location_ids)
    )
    return list(carts.order_by("id").values_list("id", flat=True))
