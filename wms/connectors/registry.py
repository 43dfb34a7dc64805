"""WMS_CONNECTORS: WMS connector classes by key, and building one for the account's WMS."""

from __future__ import annotations

from typing import TYPE_CHECKING

from integration_manager.connectors import ConnectionContext, ConnectorRegistry
from wms.connectors.base import WmsConnector

if TYPE_CHECKING:
    from wms.models import WmsConnection

WMS_CONNECTORS: ConnectorRegistry[WmsConnector] = ConnectorRegistry("WMS")
register = WMS_CONNECTORS.register


def wms_connector_for(wms: WmsConnection) -> WmsConnector:
    return WMS_CONNECTORS.connector_for(
        key=wms.connector_key,
        settings=wms.settings,
        credentials=wms.credentials,
        context=ConnectionContext(
            connection_id=wms.id,
            account_id=wms.account_id,
            label=wms.label,
            timezone=wms.account.timezone,
        ),
    )
