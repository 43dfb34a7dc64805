"""Shopify webhook deliveries: the HMAC check over the raw body, and the notice they carry."""

from __future__ import annotations

import json
from collections.abc import Mapping

from carts.connectors.signatures import delivery_key, hmac_sha256_base64, signature_matches
from integration_manager.connector_errors import AuthError, RecordError
from integration_manager.records import WebhookNotice

ORDER_TOPICS = frozenset({"orders/create", "orders/updated", "orders/cancelled"})


def parse(*, secret: str, headers: Mapping[str, str], body: bytes) -> WebhookNotice:
    """Verify a delivery (header names in any case) and read the notice it carries."""
    lowered = {name.lower(): value for name, value in headers.items()}
    verify(secret=secret, headers=lowered, body=body)
    return notice(headers=lowered, body=body)


def signature(secret: str, body: bytes) -> str:
    """X-Shopify-Hmac-Sha256 for a body: base64 of HMAC-SHA256 keyed with the signing secret."""
    return hmac_sha256_base64(secret, body)


def verify(*, secret: str, headers: Mapping[str, str], body: bytes) -> None:
    """Raise AuthError unless the delivery is signed with this secret (over the raw bytes)."""
    if not secret:
        raise AuthError(
            "A Shopify webhook came in, but the cart has no webhook signing secret. Paste it in "
            "the cart's settings (its help says where Shopify shows it) and save."
        )
    given = headers.get("x-shopify-hmac-sha256", "").strip()
    if not given:
        raise AuthError(
            "A webhook came in without Shopify's signature (X-Shopify-Hmac-Sha256); it was ignored."
        )
    # Constant time: comparing with == would leak, byte by byte, how much of a forgery matched.
    if not signature_matches(signature(secret, body), given):
        raise AuthError(
            "A webhook's signature did not match; it was ignored. If all the cart's webhooks "
            "fail, paste Shopify's current webhook signing secret in the cart's settings."
        )


def notice(*, headers: Mapping[str, str], body: bytes) -> WebhookNotice:
    """Read a verified delivery: its id for de-duplication, its topic and its order."""
    topic = headers.get("x-shopify-topic", "")
    # The signature covers the body only: the body is the delivery (a resend has the same).
    delivery_id = delivery_key(body)
    # Shown to people, who find a delivery in Shopify's logs by its webhook id.
    reference = headers.get("x-shopify-webhook-id") or delivery_id
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than json can go
        raise RecordError(
            "Shopify sent a webhook the hub could not read (not JSON); the next download "
            "picks the order up.",
            record_ref=reference,
        ) from None
    if not isinstance(payload, dict):
        raise RecordError(
            "Shopify sent a webhook without an object; the next download picks the order up.",
            record_ref=reference,
        )
    order_ids: tuple[str, ...] = ()
    if topic in ORDER_TOPICS:
        order_id = payload.get("id")
        if order_id in (None, ""):
            raise RecordError(
                f"Shopify sent a {topic} webhook without an order id; the next download "
                "picks the order up.",
                record_ref=reference,
            )
        order_ids = (str(order_id),)
    return WebhookNotice(delivery_id=delivery_id, topic=topic, source_order_ids=order_ids)
