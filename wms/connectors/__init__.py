"""WMS connectors: importing each module registers it (see docs/connectors.md)."""

from __future__ import annotations

from wms.connectors import (
    api_access,  # noqa: F401
    csv,  # noqa: F401
    sandbox,  # noqa: F401
    threepl,  # noqa: F401
)
