"""Webhook signatures every cart uses: HMAC-SHA256 in base64, compared in constant time, and
the key a delivery is de-duplicated by."""

from __future__ import annotations

import base64
import hashlib
import hmac


def hmac_sha256_base64(secret: str, content: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), content, hashlib.sha256).digest()).decode()


def signature_matches(expected: str, offered: str) -> bool:
    """Constant time; what a sender typed (non-ASCII too) is compared as bytes, never raises.

    hmac.compare_digest refuses str with non-ASCII characters (TypeError): a header of
    latin-1 bytes would have been a 500 instead of a refusal. surrogatepass, not
    surrogateescape: half a surrogate pair outside \udc80-\udcff must not raise either.
    """
    return hmac.compare_digest(
        expected.encode("utf-8", "surrogatepass"), offered.encode("utf-8", "surrogatepass")
    )


def delivery_key(signed_content: bytes) -> str:
    """A delivery's identity: a digest of what its signature covers. A delivery id header is
    not signed, so a signed body sent again under a new id is still the same delivery."""
    return "sha256:" + hashlib.sha256(signed_content).hexdigest()
