"""The webhook endpoint of each cart: verify, de-duplicate, nudge the download."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from carts.connectors.base import WEBHOOKS
from carts.connectors.registry import CART_CONNECTORS, cart_connector_for
from carts.models import CartConnection, WebhookDelivery
from integration_manager.webhooks import webhook_notice
from jobs.services import schedules_trigger
from orders.jobs import ORDER_DOWNLOAD

logger = logging.getLogger(__name__)


@csrf_exempt  # signed by the cart, not by a browser session
@require_POST
def cart_webhook(request: HttpRequest, token: str) -> HttpResponse:
    """A cart tells us an order changed. Only a nudge: the download stays the source of truth."""
    cart = get_object_or_404(
        CartConnection.objects.select_related("account"),
        webhook_token=token,
        account__deletion_requested_at=None,  # a closed account takes nothing in
    )
    connector_class = CART_CONNECTORS.find(cart.connector_key)
    if connector_class is None or not connector_class.supports(WEBHOOKS):
        return JsonResponse({"error": "This cart does not take webhooks."}, status=404)
    notice = webhook_notice(cart_connector_for(cart), request, what=f"cart {cart.id}")
    if isinstance(notice, JsonResponse):
        return notice
    if not notice.wants_download:
        return JsonResponse({"ok": True})
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(
                account_id=cart.account_id,
                merchant_id=cart.merchant_id,
                cart=cart,
                delivery_id=notice.delivery_id[:200],
                topic=notice.topic[:100],
            )
            schedules_trigger(service=ORDER_DOWNLOAD, cart_ids=[cart.id], whatever_frequency=True)
    except IntegrityError:
        return JsonResponse({"ok": True, "duplicate": True})  # seen before: nothing to do
    return JsonResponse({"ok": True})
