"""Making and checking API keys: random, shown once, kept as a digest."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account, Merchant, User
from api.models import ApiCredential, ApiLevel
from carts.models import CartConnection
from carts.services import cart_create, default_reference_prefix

API_ACCESS_CONNECTOR = "api_access"  # carts/connectors/api_access.py
API_ACCESS_LABEL = "API Access"


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    """A pair as it is shown the one time: the key is never stored or shown again."""

    credential: ApiCredential
    api_key: str


def _new_pair() -> tuple[str, str]:
    return f"hub_{secrets.token_hex(8)}", secrets.token_urlsafe(32)


@transaction.atomic
def api_credential_issue(
    *,
    account: Account,
    level: str,
    name: str,
    merchant: Merchant | None = None,
    cart: CartConnection | None = None,
    user: User | None = None,
) -> IssuedKey:
    """A new pair at this level; a cart has one pair, so its earlier pair stops at once."""
    if level == ApiLevel.CART and cart is not None:
        ApiCredential.objects.filter(cart=cart, revoked_at=None).update(revoked_at=timezone.now())
    api_user, api_key = _new_pair()
    credential = ApiCredential.objects.create(
        account=account,
        merchant=merchant if level != ApiLevel.WAREHOUSE else None,
        cart=cart if level == ApiLevel.CART else None,
        level=level,
        name=name[:100],
        api_user=api_user,
        key_digest=key_digest(api_key),
        key_hint=api_key[:6],
        created_by=user,
    )
    return IssuedKey(credential=credential, api_key=api_key)


def _api_access_label(merchant: Merchant) -> str:
    """ "API Access", then "API Access 2" …: the label is also the order_source clients send
    and filter on, so two of one merchant's carts never share it."""
    taken = set(
        CartConnection.objects.filter(merchant=merchant).values_list("order_source", flat=True)
    )
    label, number = API_ACCESS_LABEL, 1
    while label in taken:
        number += 1
        label = f"{API_ACCESS_LABEL} {number}"
    return label


@transaction.atomic
def api_access_cart_create(
    *, merchant: Merchant, user: User | None = None
) -> tuple[CartConnection, IssuedKey]:
    """A new "API Access" cart for the merchant, with its pair."""
    label = _api_access_label(merchant)
    cart = cart_create(
        merchant=merchant,
        connector_key=API_ACCESS_CONNECTOR,
        label=label,
        order_source=label,
        reference_prefix=default_reference_prefix(account_id=merchant.account_id),
        settings={},
        credentials={},
    )
    issued = api_credential_issue(
        account=merchant.account,
        level=ApiLevel.CART,
        name=label,
        merchant=merchant,
        cart=cart,
        user=user,
    )
    return cart, issued


def api_credential_revoke(*, credential: ApiCredential) -> bool:
    """Stop the pair at once; False when it was revoked already."""
    return bool(
        ApiCredential.objects.filter(id=credential.id, revoked_at=None).update(
            revoked_at=timezone.now()
        )
    )


def api_credential_check(api_user: str, api_key: str) -> ApiCredential | None:
    """The active credential with this user and key; None for anything else, in the same
    time whether the user exists or not."""
    credential = (
        ApiCredential.objects.filter(
            api_user=api_user[:64], revoked_at=None, account__deletion_requested_at=None
        )
        .select_related("account", "merchant", "cart")
        .first()
    )
    expected = credential.key_digest if credential else key_digest("no such credential")
    matches = hmac.compare_digest(expected, key_digest(api_key))
    return credential if credential is not None and matches else None


# last_used_at answers "is this key still in use?": a minute is precise enough, and a write on
# every call of a busy cart would be a write per order.
TOUCH_INTERVAL = timedelta(minutes=1)


def api_credential_touch(*, credential: ApiCredential, now: datetime | None = None) -> bool:
    """Set last_used_at, at most once per TOUCH_INTERVAL; whether it was written."""
    now = now or timezone.now()
    if credential.last_used_at is not None and now - credential.last_used_at < TOUCH_INTERVAL:
        return False
    # The condition in the UPDATE keeps concurrent calls to one write between them.
    written = (
        ApiCredential.objects.filter(id=credential.id)
        .filter(Q(last_used_at=None) | Q(last_used_at__lte=now - TOUCH_INTERVAL))
        .update(last_used_at=now)
    )
    credential.last_used_at = now
    return bool(written)
