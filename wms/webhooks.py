"""The webhook endpoint of each WMS connection: verify, de-duplicate, nudge ship confirm and
inventory for the account's merchants (the poll stays the source of truth)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integration_manager.webhooks import webhook_notice
from inventory.jobs import INVENTORY
from jobs.services import schedules_trigger
from orders.jobs import SHIP_CONFIRM
from wms.connectors.base import WEBHOOKS
from wms.connectors.registry import WMS_CONNECTORS, wms_connector_for
from wms.models import WmsConnection, WmsWebhookDelivery


@csrf_exempt  # signed by the WMS, not by a browser session
@require_POST
def wms_webhook(request: HttpRequest, token: str) -> HttpResponse:
    """The WMS says an order shipped or stock changed. It expects an answer within seconds:
    this only records the delivery and makes the two services due."""
    wms = get_object_or_404(
        WmsConnection.objects.select_related("account"),
        webhook_token=token,
        account__deletion_requested_at=None,  # a closed account takes nothing in
    )
    connector_class = WMS_CONNECTORS.find(wms.connector_key)
    if connector_class is None or not connector_class.supports(WEBHOOKS):
        return JsonResponse({"error": "This WMS does not take webhooks."}, status=404)
    notice = webhook_notice(wms_connector_for(wms), request, what=f"WMS {wms.id}")
    if isinstance(notice, JsonResponse):
        return notice
    if not notice.wants_download:
        return JsonResponse({"ok": True})
    merchants = list(wms.account.merchants.filter(is_active=True).values_list("id", flat=True))
    try:
        with transaction.atomic():
            WmsWebhookDelivery.objects.create(
                account_id=wms.account_id,
                wms=wms,
                delivery_id=notice.delivery_id[:200],
                topic=notice.topic[:100],
            )
            for service in (SHIP_CONFIRM, INVENTORY):
                schedules_trigger(service=service, merchant_ids=merchants, whatever_frequency=True)
    except IntegrityError:
        return JsonResponse({"ok": True, "duplicate": True})  # seen before: nothing to do
    return JsonResponse({"ok": True})
