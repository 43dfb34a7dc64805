"""Reads for the WMS side: the account's WMS connection for a merchant, and who it works for."""

from __future__ import annotations

from accounts.models import Merchant
from integration_manager.connector_errors import ConnectorError
from integration_manager.records import MerchantRef
from wms.connectors.base import ORDERS_PULLED, WmsConnector
from wms.connectors.registry import WMS_CONNECTORS, wms_connector_for
from wms.models import WmsConnection


class MissingWms(ConnectorError):
    """The account has no WMS yet, so there is nowhere to send orders."""


def merchant_ref(merchant: Merchant) -> MerchantRef:
    """The merchant as a WMS connector sees it (its customer id in the WMS)."""
    return MerchantRef(
        id=merchant.id,
        name=merchant.name,
        wms_customer_id=merchant.wms_customer_id,
        settings=dict(merchant.wms_settings or {}),
    )


def wms_for(merchant: Merchant) -> tuple[WmsConnection, WmsConnector]:
    """The merchant's account's WMS and its connector; MissingWms (with what to do) if none."""
    wms = (
        WmsConnection.objects.select_related("account")
        .filter(account_id=merchant.account_id)
        .first()
    )
    if wms is None:
        raise MissingWms(
            "No WMS is set up, so orders cannot be sent. Choose your WMS under Settings → WMS."
        )
    return wms, wms_connector_for(wms)


def wms_supports(*, account_id: int, capability: str) -> bool:
    """The account's WMS connector has this capability (no WMS, or one no longer installed:
    it has none)."""
    wms = WmsConnection.objects.filter(account_id=account_id).only("connector_key").first()
    connector = WMS_CONNECTORS.find(wms.connector_key) if wms else None
    return connector is not None and connector.supports(capability)


def wms_pulls_orders(*, account_id: int) -> bool:
    """The account's warehouse takes orders through the hub's API (it lists the ready ones)."""
    return wms_supports(account_id=account_id, capability=ORDERS_PULLED)
