"""Writes for carts: add, edit settings and credentials, enable or disable."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Merchant
from alerts.models import AlertKind
from alerts.services import alerts_resolve
from carts.connectors.registry import CART_CONNECTORS
from carts.models import CartConnection
from integration_manager.connection_state import connection_test
from jobs.models import ServiceSchedule
from jobs.services import schedules_ensure_for_cart, schedules_refresh

PREFIX_PATTERN = re.compile(r"^[A-Z0-9]{1,10}-$")


def validate_reference_prefix(*, account_id: int, prefix: str, cart_id: int | None = None) -> str:
    """Prefixes are letters/digits and a final dash, unique in the account, so that
    prefix + cart order id can never be the same for two carts."""
    prefix = prefix.strip().upper()
    if not PREFIX_PATTERN.match(prefix):
        raise ValidationError(
            {"reference_prefix": "Use up to 10 letters or digits followed by a dash, like SHOP-."}
        )
    taken = CartConnection.objects.filter(account_id=account_id, reference_prefix=prefix)
    if cart_id is not None:
        taken = taken.exclude(id=cart_id)
    if taken.exists():
        raise ValidationError(
            {"reference_prefix": "Another cart uses this prefix. Choose another."}
        )
    return prefix


def default_reference_prefix(*, account_id: int) -> str:
    """C1-, C2-, …: the first one no cart of the account uses."""
    used = set(
        CartConnection.objects.filter(account_id=account_id).values_list(
            "reference_prefix", flat=True
        )
    )
    number = 1
    while f"C{number}-" in used:
        number += 1
    return f"C{number}-"


@transaction.atomic
def cart_create(
    *,
    merchant: Merchant,
    connector_key: str,
    label: str,
    order_source: str,
    reference_prefix: str,
    reject_unmapped_ship_methods: bool = False,
    settings: dict[str, Any],
    credentials: dict[str, str],
    enabled: bool = True,
) -> CartConnection:
    """A new cart with its schedules (Automatic); its first download starts at once, or,
    when it is made switched off (enabled=False, the setup screens), when its test passes."""
    connector = CART_CONNECTORS.get(connector_key)
    prefix = validate_reference_prefix(account_id=merchant.account_id, prefix=reference_prefix)
    cart = CartConnection.objects.create(
        account_id=merchant.account_id,
        merchant=merchant,
        connector_key=connector_key,
        label=label,
        order_source=order_source or label,
        reference_prefix=prefix,
        reject_unmapped_ship_methods=reject_unmapped_ship_methods,
        settings={**connector.initial_settings(), **settings},
        credentials=credentials,
        enabled=enabled,
    )
    schedules_ensure_for_cart(cart=cart)
    return cart


@transaction.atomic
def cart_update(
    *,
    cart: CartConnection,
    label: str,
    order_source: str,
    reference_prefix: str,
    reject_unmapped_ship_methods: bool,
    inventory_location_id: int | None,
    settings: dict[str, Any],
    credentials: dict[str, str],
) -> CartConnection:
    """Save the cart's setup. New credentials replace the saved ones (blank keeps them) and
    lift a pause: the next run tries them. A new address (store URL, shop, store hash)
    clears every saved credential not typed again: they never follow an edit elsewhere."""
    cart.reference_prefix = validate_reference_prefix(
        account_id=cart.account_id, prefix=reference_prefix, cart_id=cart.id
    )
    cart.label = label
    cart.order_source = order_source or label
    cart.reject_unmapped_ship_methods = reject_unmapped_ship_methods
    cart.inventory_location_id = inventory_location_id
    connector = CART_CONNECTORS.get(cart.connector_key)
    cart.credentials = connector.credentials_after_edit(
        saved_settings=cart.settings,
        saved_credentials=cart.credentials,
        settings=settings,
        credentials=credentials,
    )
    settings = {**cart.settings, **settings}
    if settings != cart.settings or credentials:
        # Not proved any more; an error from before the change is not about these settings.
        cart.verified_at = None
        cart.last_error, cart.last_error_at = "", None
    cart.settings = settings
    if credentials:
        cart.paused_at = None
        cart.paused_reason = ""
        alerts_resolve(account_id=cart.account_id, kind=AlertKind.CART_AUTH, cart=cart)
    cart.save()
    schedules_refresh(ServiceSchedule.objects.filter(cart=cart))
    return cart


@transaction.atomic
def cart_set_enabled(*, cart: CartConnection, enabled: bool) -> None:
    CartConnection.objects.filter(id=cart.id).update(enabled=enabled, updated_at=timezone.now())
    cart.enabled = enabled
    schedules_refresh(ServiceSchedule.objects.filter(cart=cart))


def cart_test_connection(*, cart: CartConnection) -> str:
    """Ask the cart whether the settings and credentials work; returns what it said.

    A pass proves the connection (verified_at) and switches on a cart that was waiting for
    its first pass; a failure is its last error. Either way the result is recorded before
    it is shown.
    """
    from carts.connectors.registry import cart_connector_for

    found, waiting = connection_test(cart, cart_connector_for(cart))
    if waiting:
        cart_set_enabled(cart=cart, enabled=True)
    return found
