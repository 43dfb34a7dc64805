"""Raise, refresh, resolve and e-mail alerts."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Account, Membership, Merchant, Role
from alerts.models import Alert, AlertRecipient
from carts.models import CartConnection

logger = logging.getLogger(__name__)


def alerts_raise(
    *,
    account: Account | int,
    kind: str,
    subject: str,
    message: str,
    merchant: Merchant | None = None,
    cart: CartConnection | None = None,
    link: str = "",
) -> Alert:
    """Open an alert, or count up the open one with the same kind and subject."""
    account_id = account if isinstance(account, int) else account.id
    now = timezone.now()
    open_alert = Alert.objects.filter(
        account_id=account_id, kind=kind, subject=subject, resolved_at=None
    )
    if open_alert.update(message=message, last_seen_at=now, count=F("count") + 1):
        return open_alert.get()
    try:
        # The partial unique constraint on open alerts turns a concurrent raise into a retry.
        with transaction.atomic():
            alert = Alert.objects.create(
                account_id=account_id,
                merchant=merchant,
                cart=cart,
                kind=kind,
                subject=subject,
                message=message,
                link=link,
                first_seen_at=now,
                last_seen_at=now,
            )
    except IntegrityError:
        open_alert.update(message=message, last_seen_at=now, count=F("count") + 1)
        return open_alert.get()
    from alerts.tasks import alert_notify_task  # tasks import us

    transaction.on_commit(lambda: alert_notify_task.delay(alert_id=alert.id))
    return alert


def alerts_resolve(
    *, account_id: int, kind: str, cart: CartConnection | None = None, subject: str | None = None
) -> int:
    """Close the open alerts of this kind (for this cart or subject): the problem went away."""
    alerts = Alert.objects.filter(account_id=account_id, kind=kind, resolved_at=None)
    if cart is not None:
        alerts = alerts.filter(cart=cart)
    if subject is not None:
        alerts = alerts.filter(subject=subject)
    return alerts.update(resolved_at=timezone.now())


def alert_dismiss(*, alert: Alert, user: object) -> None:
    Alert.objects.filter(id=alert.id, resolved_at=None).update(
        resolved_at=timezone.now(), resolved_by=user
    )


def alert_recipients(alert: Alert) -> list[str]:
    """Who is e-mailed: the account's admins and staff, the merchant's users, extra addresses."""
    members = Membership.objects.filter(account_id=alert.account_id).select_related("user")
    if alert.merchant_id:
        members = members.filter(
            Q(role__in=[Role.ADMIN, Role.STAFF]) | Q(merchant_id=alert.merchant_id)
        )
    else:
        members = members.filter(role__in=[Role.ADMIN, Role.STAFF])
    extra = AlertRecipient.objects.filter(account_id=alert.account_id, is_active=True).filter(
        Q(merchant=None) | Q(merchant_id=alert.merchant_id)
    )
    addresses = {member.user.email for member in members if member.user.is_active}
    addresses |= set(extra.values_list("email", flat=True))
    return sorted(addresses)


def alert_notify(*, alert: Alert) -> int:
    """E-mail a new alert once; the count of later repeats shows on the alerts page."""
    if alert.notified_at is not None:
        return 0
    recipients = alert_recipients(alert)
    if recipients:
        body = render_to_string(
            "alerts/email/alert.txt", {"alert": alert, "site_url": settings.SITE_URL}
        )
        send_mail(f"[Integration hub] {alert.subject}", body, None, recipients)
    Alert.objects.filter(id=alert.id).update(notified_at=timezone.now())
    return len(recipients)
