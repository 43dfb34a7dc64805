"""3PL Warehouse Manager event notifications: the RSA-SHA256 signature and what an event means."""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from carts.connectors.signatures import delivery_key
from integration_manager.connector_errors import AuthError, RecordError, TransientError
from integration_manager.records import WebhookNotice
from wms.connectors.threepl.client import LABEL, camel_keys

SIGNATURE_HEADER = "signature"
# The key is fetched once a process and kept; a signature that fails makes one new fetch
# (the WMS rotates its key), but not more often than this, so forged deliveries cannot turn
# into a stream of key requests.
KEY_REFRESH_INTERVAL = 30.0
KEY_MAX_AGE = 24 * 3600.0


def signature_of(headers: Mapping[str, str]) -> bytes:
    """The Signature header's bytes (base64 in the header); AuthError when absent or odd."""
    value = next(
        (str(text) for name, text in headers.items() if str(name).lower() == SIGNATURE_HEADER),
        "",
    )
    try:
        signature = base64.b64decode(value.strip().encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        signature = b""
    if not signature:
        raise AuthError(f"A {LABEL} webhook arrived without a readable Signature header.")
    return signature


def public_key(payload: Mapping[str, Any]) -> rsa.RSAPublicKey:
    """The key of GET /events/webhook/key ({publicKey: PEM, retrievalDateISO})."""
    pem = payload.get("publicKey")
    try:
        key = serialization.load_pem_public_key(str(pem or "").encode())
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, rsa.RSAPublicKey):
        raise TransientError(f"{LABEL} sent a webhook key the hub could not read; it will retry.")
    return key


def signature_holds(key: rsa.RSAPublicKey, signature: bytes, body: bytes) -> bool:
    """base64(RSA-SHA256(raw body)), PKCS#1 v1.5, checked over the bytes as they arrived."""
    try:
        key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


class PublicKeyCache:
    """The webhook key per API address, shared by the threads of one process."""

    def __init__(
        self,
        *,
        refresh_interval: float = KEY_REFRESH_INTERVAL,
        max_age: float = KEY_MAX_AGE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.refresh_interval = refresh_interval
        self.max_age = max_age
        self.clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[rsa.RSAPublicKey, float]] = {}
        self._refreshed: dict[str, float] = {}

    def get(self, base_url: str) -> rsa.RSAPublicKey | None:
        with self._lock:
            entry = self._keys.get(base_url)
            if entry is None or self.clock() - entry[1] > self.max_age:
                return None
            return entry[0]

    def put(self, base_url: str, key: rsa.RSAPublicKey) -> None:
        with self._lock:
            self._keys[base_url] = (key, self.clock())

    def may_refresh(self, base_url: str) -> bool:
        """Whether a failed signature may fetch the key again now (and note that it does)."""
        with self._lock:
            now = self.clock()
            last = self._refreshed.get(base_url)
            if last is not None and now - last < self.refresh_interval:
                return False
            self._refreshed[base_url] = now
            return True

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()
            self._refreshed.clear()


def _embedded_json(value: Any) -> Any:
    """resource.body, links and data arrive as JSON text inside the JSON; read them too."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return camel_keys(json.loads(value))
        except (ValueError, RecursionError):  # RecursionError: nested too deep to read
            return None
    return camel_keys(value) if isinstance(value, dict | list) else None


def webhook_notice(body: bytes) -> WebhookNotice:
    """What a verified event says: its type, and the order reference (our cust_ref) it names
    when the notification includes the resource. It only nudges the polls, which stay the
    source of truth."""
    delivery_id = delivery_key(body)
    try:
        payload = camel_keys(json.loads(body))
        event_type = str(payload["eventType"])
    # RecursionError: a body nested deeper than json.loads (or camel_keys) can go.
    except (ValueError, KeyError, TypeError, RecursionError):
        raise RecordError(
            f"A {LABEL} webhook had an unreadable body.", record_ref=delivery_id
        ) from None
    resource = payload.get("resource") if isinstance(payload.get("resource"), dict) else {}
    order = _embedded_json(resource.get("body"))
    reference = str(order.get("referenceNum") or "") if isinstance(order, dict) else ""
    return WebhookNotice(
        delivery_id=delivery_id,
        topic=event_type,
        source_order_ids=(reference,) if reference else (),
    )
