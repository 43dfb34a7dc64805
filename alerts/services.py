"""Raise, refresh, resolve and e-mail alerts."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from smtplib import SMTPException

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Account, AlertFrequency, Membership, Merchant, Role
from alerts.models import ALWAYS_IMMEDIATE, Alert, AlertKind, AlertRecipient
from carts.models import CartConnection
from integration_manager.redaction import redact
from integration_manager.text import single_line

logger = logging.getLogger(__name__)


def alerts_raise(
    *,
    account: Account | int,
    kind: str,
    subject: str,
    message: str,
    key: str = "",
    merchant: Merchant | None = None,
    cart: CartConnection | None = None,
    link: str = "",
) -> Alert:
    """Open an alert, or count up the open one of the same kind and key.

    key names what the alert is about in ids and codes (alert_key()); "" for what there is
    one of in the account (the WMS). The subject and message are for people and may change.
    """
    account_id = account if isinstance(account, int) else account.id
    now = timezone.now()
    subject, message = single_line(redact(subject))[:200], redact(message)
    open_alert = Alert.objects.filter(account_id=account_id, kind=kind, key=key, resolved_at=None)
    if open_alert.update(subject=subject, message=message, last_seen_at=now, count=F("count") + 1):
        return open_alert.get()
    try:
        # The partial unique constraint on open alerts turns a concurrent raise into a retry.
        with transaction.atomic():
            alert = Alert.objects.create(
                account_id=account_id,
                merchant=merchant,
                cart=cart,
                kind=kind,
                key=key,
                subject=subject,
                message=message,
                link=link,
                first_seen_at=now,
                last_seen_at=now,
            )
    except IntegrityError:
        open_alert.update(subject=subject, message=message, last_seen_at=now, count=F("count") + 1)
        return open_alert.get()
    if alert_sends_at_once(kind=kind, frequency=_frequency(account)):
        transaction.on_commit(lambda: alert_notify_send(alert_id=alert.id))
    return alert


# Sent at once whatever the frequency: nothing moves until someone acts. A stopped
# scheduler also stops the digests (the dispatcher tick sends them), so it cannot wait.
SENT_AT_ONCE = ALWAYS_IMMEDIATE | {AlertKind.SCHEDULER_STOPPED}


def alert_sends_at_once(*, kind: str, frequency: str) -> bool:
    """Whether an alert of this kind is e-mailed alone at once, or waits for the digest."""
    return frequency == AlertFrequency.IMMEDIATE or kind in SENT_AT_ONCE


def _frequency(account: Account | int) -> str:
    if isinstance(account, Account):
        return account.alert_frequency
    return Account.objects.filter(id=account).values_list("alert_frequency", flat=True).get()


def alert_notify_send(*, alert_id: int) -> bool:
    """Queue an alert's e-mail; if the broker is away, the tick's sweep sends it later."""
    from alerts.tasks import alert_notify_task  # tasks import us
    from jobs.broker import task_send

    return task_send(alert_notify_task, kwargs={"alert_id": alert_id}, quick=True)


# An alert still unsent this long after it was raised lost its task (the broker was away);
# one claimed this long ago and still unsent lost its worker mid-send.
UNSENT_AFTER = timedelta(minutes=1)
CLAIM_EXPIRES = timedelta(minutes=15)
SWEEP_LIMIT = 200


def alerts_notify_unsent(now: datetime) -> int:
    """The dispatcher tick's sweep: queue the e-mails that were never sent."""
    unsent = list(
        Alert.objects.filter(notified_at=None, first_seen_at__lte=now - UNSENT_AFTER)
        .filter(Q(notify_claimed_at=None) | Q(notify_claimed_at__lte=now - CLAIM_EXPIRES))
        # The digest sends the others (alerts/digests.py).
        .filter(Q(account__alert_frequency=AlertFrequency.IMMEDIATE) | Q(kind__in=SENT_AT_ONCE))
        .order_by("first_seen_at")
        .values_list("id", flat=True)[:SWEEP_LIMIT]
    )
    for alert_id in unsent:
        if not alert_notify_send(alert_id=alert_id):
            break  # the broker is still away: the next tick tries again
    return len(unsent)


def alert_key(*parts: object) -> str:
    """An alert's key from ids and codes: alert_key("cart", cart.id, "ship", code)."""
    return ":".join(str(part) for part in parts)[:200]


def alerts_resolve(
    *,
    account_id: int,
    kind: str,
    key: str | None = None,
    cart: CartConnection | None = None,
) -> int:
    """Close the open alerts of this kind (with this key, or about this cart): the problem
    went away."""
    alerts = Alert.objects.filter(account_id=account_id, kind=kind, resolved_at=None)
    if key is not None:
        alerts = alerts.filter(key=key)
    if cart is not None:
        alerts = alerts.filter(cart=cart)
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
    """E-mail a new alert once; the count of later repeats shows on the alerts page.

    The e-mail is claimed with a conditional update before it is sent, so a task run twice
    sends it once. A send that fails gives the claim back for the retry; a worker killed
    mid-send leaves a claim that the tick's sweep takes back after CLAIM_EXPIRES.
    """
    now = timezone.now()
    if not alert_sends_at_once(kind=alert.kind, frequency=_frequency(alert.account_id)):
        return 0  # the account chose a digest since the alert was raised
    claimable = Alert.objects.filter(id=alert.id, notified_at=None).filter(
        Q(notify_claimed_at=None) | Q(notify_claimed_at__lte=now - CLAIM_EXPIRES)
    )
    if not claimable.update(notify_claimed_at=now):
        return 0
    recipients = alert_recipients(alert)
    try:
        if recipients:
            body = render_to_string(
                "alerts/email/alert.txt", {"alert": alert, "site_url": settings.SITE_URL}
            )
            # Subjects carry cart labels and merchant names; a newline in one would make
            # send_mail refuse the e-mail for good (BadHeaderError).
            subject = single_line(f"[Integration hub] {alert.subject}")
            send_mail(subject, body, None, recipients)
    except (SMTPException, OSError):
        Alert.objects.filter(id=alert.id, notify_claimed_at=now).update(notify_claimed_at=None)
        raise
    Alert.objects.filter(id=alert.id).update(notified_at=timezone.now())
    return len(recipients)


def alert_recipient_add(
    *, account: Account, email: str, merchant: Merchant | None
) -> AlertRecipient:
    """Add an extra address for every alert of the account, or for one merchant's."""
    email = email.strip().lower()
    try:
        with transaction.atomic():
            return AlertRecipient.objects.create(account=account, email=email, merchant=merchant)
    except IntegrityError:
        raise ValidationError(
            {"email": f"{email} is already on the list. Activate or delete it there."}
        ) from None


def alert_recipient_set_active(*, recipient: AlertRecipient, is_active: bool) -> None:
    AlertRecipient.objects.filter(id=recipient.id).update(is_active=is_active)


def alert_recipient_delete(*, recipient: AlertRecipient) -> None:
    AlertRecipient.objects.filter(id=recipient.id).delete()


def alert_settings_update(
    *, account: Account, frequency: str, stuck_new_grace_minutes: int, stuck_at_wms_days: int
) -> None:
    """How often the account's alerts are e-mailed, and when orders count as stuck.

    Alerts still waiting for a digest go out at once when the account turns to Immediately
    (the tick's sweep of unsent alerts), and in the next digest the other way round.
    """
    Account.objects.filter(id=account.id).update(
        alert_frequency=frequency,
        stuck_new_grace_minutes=stuck_new_grace_minutes,
        stuck_at_wms_days=stuck_at_wms_days,
    )
    account.alert_frequency = frequency
    account.stuck_new_grace_minutes = stuck_new_grace_minutes
    account.stuck_at_wms_days = stuck_at_wms_days
