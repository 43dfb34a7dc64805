"""Writes for accounts: sign-up, merchants, invitations, memberships, account settings."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from smtplib import SMTPException

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    INVITATION_LIFETIME,
    Account,
    Invitation,
    Membership,
    Merchant,
    Role,
    User,
)
from integration_manager.text import single_line
from inventory.locations import location_default_ensure
from jobs.models import ServiceSchedule
from jobs.services import schedules_ensure_for_merchant, schedules_refresh

logger = logging.getLogger(__name__)

SIGNUP_LINK_LIFETIME = timedelta(days=3)
_SIGNUP_SALT = "accounts.signup"


@dataclass(frozen=True)
class SignUpRequest:
    """What the sign-up form asked for, carried signed in the e-mailed link until it is used."""

    email: str
    account_name: str
    kind: str
    timezone_name: str


def _mail(*, subject: str, template: str, context: dict, to: str, reference: str) -> bool:
    """Send one e-mail; False when the mail server refused (logged with the reference only)."""
    body = render_to_string(template, context)
    try:
        send_mail(single_line(subject), body, None, [to])
    except (SMTPException, OSError) as error:
        logger.warning("%s: e-mail not sent: %s", reference, error.__class__.__name__)
        return False
    return True


def signup_request_send(*, email: str, account_name: str, kind: str, timezone_name: str) -> bool:
    """E-mail the link that finishes a sign-up; an address that has a login gets a note instead.

    The visitor sees the same page either way, so the sign-up form does not tell who has an
    account here; only the owner of the address learns it. False when the mail server
    refused (the same for both).
    """
    email = email.strip().lower()
    login_url = settings.SITE_URL + reverse("login")
    if User.objects.filter(email__iexact=email).exists():
        return _mail(
            subject="Someone tried to create an account with your e-mail",
            template="accounts/email/signup_existing.txt",
            context={
                "login_url": login_url,
                "reset_url": settings.SITE_URL + reverse("password_reset"),
            },
            to=email,
            reference="sign-up for an existing user",
        )
    token = signing.dumps(
        {"email": email, "account_name": account_name, "kind": kind, "timezone": timezone_name},
        salt=_SIGNUP_SALT,
        compress=True,
    )
    return _mail(
        subject="Finish creating your account on the integration hub",
        template="accounts/email/signup_confirm.txt",
        context={
            "account_name": account_name,
            "url": settings.SITE_URL + reverse("signup_confirm", args=[token]),
            "days": SIGNUP_LINK_LIFETIME.days,
        },
        to=email,
        reference="sign-up link",
    )


def signup_request_read(token: str) -> SignUpRequest | None:
    """The sign-up a link carries, or None when it was altered or is too old."""
    try:
        data = signing.loads(token, salt=_SIGNUP_SALT, max_age=SIGNUP_LINK_LIFETIME.total_seconds())
    except signing.BadSignature:  # SignatureExpired too
        return None
    return SignUpRequest(
        email=data["email"],
        account_name=data["account_name"],
        kind=data["kind"],
        timezone_name=data["timezone"],
    )


@transaction.atomic
def account_sign_up(
    *, email: str, password: str, account_name: str, kind: str, timezone_name: str
) -> Membership:
    """A new user, their account and admin membership; a merchant account gets its merchant."""
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            {"email": "An account with this e-mail already exists. Log in instead."}
        )
    user = User.objects.create_user(email=email, password=password)
    account = Account.objects.create(name=account_name, kind=kind, timezone=timezone_name)
    if kind == Account.Kind.MERCHANT:
        merchant_create(account=account, name=account_name, allow_merchant_account=True)
    return Membership.objects.create(user=user, account=account, role=Role.ADMIN)


@transaction.atomic
def account_update(*, account: Account, name: str, timezone_name: str) -> Account:
    account.name = name
    account.timezone = timezone_name
    account.full_clean()
    account.save(update_fields=["name", "timezone"])
    if account.kind == Account.Kind.MERCHANT:
        # A merchant account's one merchant carries the account's name.
        Merchant.objects.filter(account=account).update(name=name)
    return account


def account_data_policy_update(
    *,
    account: Account,
    personal_data_days: int,
    job_runs_kept_days: int,
    failed_job_runs_kept_days: int,
) -> Account:
    """Change how long the account keeps personal data and job runs; the next removal and
    cleanup runs apply it."""
    account.personal_data_days = personal_data_days
    account.job_runs_kept_days = job_runs_kept_days
    account.failed_job_runs_kept_days = failed_job_runs_kept_days
    account.full_clean()
    account.save(
        update_fields=["personal_data_days", "job_runs_kept_days", "failed_job_runs_kept_days"]
    )
    return account


@transaction.atomic
def merchant_create(
    *,
    account: Account,
    name: str,
    wms_customer_id: str = "",
    allow_merchant_account: bool = False,
) -> Merchant:
    """A new merchant of a fulfillment account (a merchant account has one, made at sign-up)."""
    if account.kind == Account.Kind.MERCHANT and not allow_merchant_account:
        raise ValidationError("A merchant account has exactly one merchant.")
    if Merchant.objects.filter(account=account, name__iexact=name).exists():
        raise ValidationError({"name": "A merchant with this name already exists."})
    merchant = Merchant.objects.create(account=account, name=name, wms_customer_id=wms_customer_id)
    schedules_ensure_for_merchant(merchant=merchant)
    location_default_ensure(merchant=merchant)
    return merchant


def merchant_update(
    *, merchant: Merchant, name: str, wms_customer_id: str, is_active: bool
) -> Merchant:
    duplicate = (
        Merchant.objects.filter(account_id=merchant.account_id, name__iexact=name)
        .exclude(id=merchant.id)
        .exists()
    )
    if duplicate:
        raise ValidationError({"name": "A merchant with this name already exists."})
    merchant.name = name
    merchant.wms_customer_id = wms_customer_id
    merchant.is_active = is_active
    merchant.save(update_fields=["name", "wms_customer_id", "is_active"])
    schedules_refresh(ServiceSchedule.objects.filter(merchant=merchant))
    return merchant


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(token: str) -> str:
    return settings.SITE_URL + reverse("invitation_accept", args=[token])


def invitation_create(
    *,
    account: Account,
    email: str,
    role: str,
    merchant: Merchant | None,
    invited_by: User | None,
) -> tuple[Invitation, str]:
    """A pending invitation and its one-time token; the caller sends it (invitation_send)."""
    email = email.strip().lower()
    if role == Role.MERCHANT_USER and merchant is None:
        raise ValidationError({"merchant": "Choose the merchant this user may see."})
    if role != Role.MERCHANT_USER:
        merchant = None
    if merchant is not None and merchant.account_id != account.id:
        raise ValidationError({"merchant": "Choose one of your merchants."})
    if Membership.objects.filter(account=account, user__email__iexact=email).exists():
        raise ValidationError({"email": "This person is already a user of this account."})
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        # A new invitation replaces any pending one for the same address.
        Invitation.objects.filter(
            account=account, email__iexact=email, accepted_at=None, revoked_at=None
        ).update(revoked_at=timezone.now())
        invitation = Invitation.objects.create(
            account=account,
            email=email,
            role=role,
            merchant=merchant,
            token_hash=_token_hash(token),
            invited_by=invited_by,
            expires_at=timezone.now() + INVITATION_LIFETIME,
        )
    return invitation, token


def invitation_renew(*, invitation: Invitation) -> str:
    """A fresh token and expiry for a pending or expired invitation; the old link stops working."""
    if invitation.accepted_at or invitation.revoked_at:
        raise ValidationError("This invitation was already accepted or revoked.")
    token = secrets.token_urlsafe(32)
    invitation.token_hash = _token_hash(token)
    invitation.expires_at = timezone.now() + INVITATION_LIFETIME
    invitation.save(update_fields=["token_hash", "expires_at"])
    return token


def invitation_send(*, invitation: Invitation, token: str) -> bool:
    """E-mail the invitation link; False when the mail server refused (the link still works)."""
    return _mail(
        subject=f"You are invited to {invitation.account.name} on the integration hub",
        template="accounts/email/invitation.txt",
        context={
            "invitation": invitation,
            "url": invitation_url(token),
            "inviter": invitation.invited_by,
        },
        to=invitation.email,
        reference=f"invitation {invitation.id}",
    )


def invitation_find(token: str) -> Invitation | None:
    """The pending invitation for a token, or None when it is unknown, used, revoked or expired."""
    invitation = (
        Invitation.objects.select_related("account", "merchant")
        .filter(token_hash=_token_hash(token))
        .first()
    )
    if invitation is None or not invitation.is_pending:
        return None
    return invitation


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, user: User | None = None, password: str | None = None
) -> Membership:
    """Join the invited account, as an existing user or as a new one with this password."""
    # Lock the row: two clicks on the same link make one membership.
    invitation = Invitation.objects.select_for_update().get(id=invitation.id)
    if not invitation.is_pending:
        raise ValidationError("This invitation is no longer valid. Ask for a new one.")
    if user is None:
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise ValidationError(
                "A user with this e-mail exists: log in first, then open the link."
            )
        user = User.objects.create_user(email=invitation.email, password=password)
    elif user.email.lower() != invitation.email.lower():
        raise ValidationError(
            f"This invitation is for {invitation.email}. Log out and open the link again."
        )
    membership, _ = Membership.objects.get_or_create(
        user=user,
        account=invitation.account,
        defaults={"role": invitation.role, "merchant": invitation.merchant},
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership


def invitation_revoke(*, invitation: Invitation) -> None:
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])


def _admins_left_after(membership: Membership) -> int:
    return (
        Membership.objects.filter(account_id=membership.account_id, role=Role.ADMIN)
        .exclude(id=membership.id)
        .count()
    )


@transaction.atomic
def membership_update(
    *, membership: Membership, role: str, merchant: Merchant | None
) -> Membership:
    """Change a user's role; an account always keeps at least one admin."""
    if membership.role == Role.ADMIN and role != Role.ADMIN and _admins_left_after(membership) == 0:
        raise ValidationError("An account needs at least one admin. Make someone else admin first.")
    if role == Role.MERCHANT_USER and merchant is None:
        raise ValidationError({"merchant": "Choose the merchant this user may see."})
    if merchant is not None and merchant.account_id != membership.account_id:
        raise ValidationError({"merchant": "Choose one of your merchants."})
    membership.role = role
    membership.merchant = merchant if role == Role.MERCHANT_USER else None
    membership.save(update_fields=["role", "merchant"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    if membership.role == Role.ADMIN and _admins_left_after(membership) == 0:
        raise ValidationError("An account needs at least one admin. Make someone else admin first.")
    membership.delete()
