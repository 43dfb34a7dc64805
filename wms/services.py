"""Writes for the WMS: set it up, refresh its ship methods, map ship methods and carriers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from accounts.models import Account, Merchant
from alerts.models import AlertKind
from alerts.services import alerts_resolve
from carts.models import CartConnection
from integration_manager.connection_state import connection_test
from jobs.models import ServiceSchedule
from jobs.services import schedules_refresh
from wms.connectors.base import CUSTOMER_ID_FIELD, FETCH_SHIP_METHODS
from wms.connectors.registry import WMS_CONNECTORS, wms_connector_for
from wms.models import ShipMethodMap, WmsConnection, WmsShipMethod


@transaction.atomic
def wms_save(
    *,
    account: Account,
    connector_key: str,
    label: str,
    settings: dict[str, Any],
    credentials: dict[str, str],
    enabled: bool = True,
) -> WmsConnection:
    """Create the account's WMS or change it; new credentials lift a pause. A new WMS made
    switched off (enabled=False, the setup screen) goes live when its test passes."""
    connector = WMS_CONNECTORS.get(connector_key)
    wms = WmsConnection.objects.filter(account=account).first()
    if wms is None or wms.connector_key != connector_key:
        if wms is not None:
            wms.delete()
        wms = WmsConnection(
            account=account,
            connector_key=connector_key,
            settings=connector.initial_settings(),
            enabled=enabled,
        )
    wms.label = label or connector.label
    # A new address clears the saved credentials not typed again (see cart_update).
    wms.credentials = connector.credentials_after_edit(
        saved_settings=wms.settings,
        saved_credentials=wms.credentials,
        settings=settings,
        credentials=credentials,
    )
    settings = {**wms.settings, **settings}
    if settings != wms.settings or credentials:
        # Not proved any more; an error from before the change is not about these settings.
        wms.verified_at = None
        wms.last_error, wms.last_error_at = "", None
    wms.settings = settings
    if credentials:
        wms.paused_at = None
        wms.paused_reason = ""
        alerts_resolve(account_id=account.id, kind=AlertKind.WMS_AUTH)
    wms.save()
    alerts_resolve(account_id=account.id, kind=AlertKind.WMS_MISSING)
    schedules_refresh(ServiceSchedule.objects.filter(account=account, cart=None))
    return wms


def wms_test_connection(*, wms: WmsConnection) -> str:
    """Ask the WMS whether the settings and credentials work (see cart_test_connection): a
    pass proves the connection and switches on a WMS waiting for its first pass."""
    found, waiting = connection_test(wms, wms_connector_for(wms))
    if waiting:
        WmsConnection.objects.filter(id=wms.id).update(enabled=True)
        schedules_refresh(ServiceSchedule.objects.filter(account_id=wms.account_id, cart=None))
    return found


@transaction.atomic
def wms_ship_methods_refresh(*, wms: WmsConnection) -> int:
    """Load the WMS's own list of ship methods (for WMSs that can list them)."""
    connector = wms_connector_for(wms)
    if not connector.supports(FETCH_SHIP_METHODS):
        return 0
    methods = connector.fetch_ship_methods()
    WmsShipMethod.objects.bulk_create(
        [
            WmsShipMethod(
                account_id=wms.account_id,
                code=method.code[:100],
                description=method.description[:200],
                carrier=method.carrier[:100],
            )
            for method in methods
        ],
        update_conflicts=True,
        unique_fields=["account", "code"],
        update_fields=["description", "carrier"],
    )
    return len(methods)


@transaction.atomic
def ship_method_map_save(
    *, cart: CartConnection, cart_code: str, wms_code: str, passthrough: bool
) -> ShipMethodMap:
    """Map a cart's ship code; orders held for it go to the WMS at the next delivery (the
    entry's `released` says how many)."""

    from orders.models import HoldReason, Order
    from orders.services.delivery import unmapped_ship_method_key
    from orders.services.release import held_orders_release

    entry, _ = ShipMethodMap.objects.get_or_create(
        cart=cart,
        cart_code=cart_code,
        defaults={"account_id": cart.account_id, "merchant_id": cart.merchant_id},
    )
    entry.wms_code = "" if passthrough else wms_code
    entry.passthrough = passthrough
    entry.save()
    entry.released = 0  # type: ignore[attr-defined]
    if entry.is_mapped:
        # Orders held only for this code go back to new: they are sent on their own.
        entry.released = len(  # type: ignore[attr-defined]
            held_orders_release(
                Order.objects.filter(cart=cart, ship_code=cart_code),
                codes=[HoldReason.UNMAPPED_SHIP_METHOD],
                why=f"Ship method “{cart_code}” mapped: the order goes to the WMS.",
            )
        )
        alerts_resolve(
            account_id=cart.account_id,
            kind=AlertKind.UNMAPPED_SHIP_METHOD,
            key=unmapped_ship_method_key(cart.id, cart_code),
        )
    return entry


@transaction.atomic
def wms_ship_method_remove(*, method: WmsShipMethod) -> None:
    """Remove a ship method; cart codes mapped to it become unmapped again."""
    ShipMethodMap.objects.filter(account_id=method.account_id, wms_code=method.code).update(
        wms_code=""
    )
    method.delete()


@transaction.atomic
def merchant_wms_settings_save(*, merchant: Merchant, data: Mapping[str, Any]) -> None:
    """Store what the WMS needs for one merchant: its customer id on the merchant, the rest
    (a facility, a folder) in its WMS settings, beside what other WMS types left there."""
    values = {name: "" if value is None else str(value).strip() for name, value in data.items()}
    if CUSTOMER_ID_FIELD in values:
        merchant.wms_customer_id = values.pop(CUSTOMER_ID_FIELD)[:100]
    merchant.wms_settings = {**(merchant.wms_settings or {}), **values}
    merchant.save(update_fields=["wms_customer_id", "wms_settings"])


def ship_codes_remember(*, cart: CartConnection, codes: Mapping[str, str]) -> None:
    """New ship codes (code: the cart's description) join the cart's mapping list, unmapped,
    for an admin to map; codes already listed are left as they are."""
    codes = {code: description for code, description in codes.items() if code}
    if not codes:
        return
    ShipMethodMap.objects.bulk_create(
        [
            ShipMethodMap(
                account_id=cart.account_id,
                merchant_id=cart.merchant_id,
                cart=cart,
                cart_code=code[:200],
                cart_description=(description or "")[:200],
            )
            for code, description in codes.items()
        ],
        ignore_conflicts=True,
    )
