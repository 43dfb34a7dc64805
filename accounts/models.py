"""Users, accounts (tenants), merchants, memberships with roles, and invitations."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.timezone import now


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("A user needs an e-mail address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with an e-mail address; what they may see comes from Membership."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("e-mail address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()  # type: ignore[misc]

    def __str__(self) -> str:
        return self.email


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone, such as America/New_York.")


class AlertFrequency(models.TextChoices):
    IMMEDIATE = "immediate", "Immediately"
    HOURLY = "hourly", "Hourly digest"
    DAILY = "daily", "Daily digest"


RETENTION_MAX_DAYS = 3650


class Account(models.Model):
    """A tenant: a 3PL warehouse with many merchants, or a single merchant."""

    class Kind(models.TextChoices):
        FULFILLMENT = "fulfillment", "Fulfillment (3PL warehouse with merchants)"
        MERCHANT = "merchant", "Merchant (my own store)"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    # Alert e-mail (alerts/): at once, or gathered into an hourly or daily digest; some kinds
    # always go at once (alerts.models.ALWAYS_IMMEDIATE).
    alert_frequency = models.CharField(
        "alert e-mails",
        max_length=10,
        choices=AlertFrequency.choices,
        default=AlertFrequency.IMMEDIATE,
    )
    alert_digest_sent_at = models.DateTimeField(null=True, blank=True)
    # Orders stuck: new past their delivery schedule plus this grace; at the WMS this long.
    stuck_new_grace_minutes = models.PositiveIntegerField(
        "grace for new orders (minutes)", default=60
    )
    stuck_at_wms_days = models.PositiveIntegerField("days at the WMS before an alert", default=5)
    # The data's life (orders/services/personal_data.py, jobs/retention.py). Personal data
    # has no "never": an order's customer is not kept forever, so at most ten years. The
    # database defaults let code that predates these columns (older migrations' models)
    # still insert accounts.
    personal_data_days = models.PositiveIntegerField(
        "days before personal data is removed",
        default=90,
        db_default=90,
        validators=[MinValueValidator(1), MaxValueValidator(RETENTION_MAX_DAYS)],
    )
    job_runs_kept_days = models.PositiveIntegerField(
        "days successful job runs are kept",
        default=30,
        db_default=30,
        validators=[MinValueValidator(1), MaxValueValidator(RETENTION_MAX_DAYS)],
    )
    failed_job_runs_kept_days = models.PositiveIntegerField(
        "days failed job runs are kept",
        default=180,
        db_default=180,
        validators=[MinValueValidator(1), MaxValueValidator(RETENTION_MAX_DAYS)],
    )
    # Set when an admin deletes the account (accounts/data.py): from then on nobody enters
    # it and its schedules are off, while a job deletes its rows.
    deletion_requested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["fulfillment", "merchant"]), name="account_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_fulfillment(self) -> bool:
        return self.kind == self.Kind.FULFILLMENT

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Merchant(models.Model):
    """A seller whose carts feed the account's WMS; a merchant account has exactly one."""

    # tenancy: a merchant user sees only the merchant they belong to
    tenant_merchant_field = "id"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="merchants")
    name = models.CharField(max_length=200)
    # The WMS's own id for this merchant (3PL customer id), where the WMS needs one.
    wms_customer_id = models.CharField("WMS customer id", max_length=100, blank=True)
    # What else the account's WMS needs for this merchant (a facility, a folder), by the WMS
    # connector's merchant_settings_form; kept when the WMS changes, read by whichever fits.
    wms_settings = models.JSONField("WMS settings", default=dict, blank=True)
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="merchant_name_unique"),
        ]
        indexes = [models.Index(fields=["account", "name"], name="merchant_account_name")]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", "Account admin"
    STAFF = "staff", "Warehouse staff"
    MERCHANT_USER = "merchant_user", "Merchant user"


def merchant_scope_constraint(name: str) -> models.CheckConstraint:
    """A merchant user always has a merchant, and only merchant users have one."""
    return models.CheckConstraint(
        condition=(Q(role="merchant_user") & Q(merchant__isnull=False))
        | (Q(role__in=["admin", "staff"]) & Q(merchant__isnull=True)),
        name=name,
    )


class Membership(models.Model):
    """A user's role in one account; a merchant user is limited to one merchant."""

    tenant_merchant_field = "merchant"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="membership_user_account"),
            merchant_scope_constraint("membership_merchant_scope"),
        ]
        indexes = [models.Index(fields=["account", "role"], name="membership_account_role")]

    def __str__(self) -> str:
        return f"{self.user} in {self.account} ({self.get_role_display()})"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_merchant_user(self) -> bool:
        return self.role == Role.MERCHANT_USER

    # What each role may do; views check these, templates use them to hide links.
    @property
    def can_manage_users(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_manage_merchants(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_view_merchants(self) -> bool:
        return self.role in (Role.ADMIN, Role.STAFF)

    @property
    def can_edit_account(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_edit_credentials(self) -> bool:
        # Merchants manage their own carts; warehouse staff operate them without the keys.
        return self.role in (Role.ADMIN, Role.MERCHANT_USER)

    @property
    def can_manage_wms(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_view_wms(self) -> bool:
        return self.role in (Role.ADMIN, Role.STAFF)


INVITATION_LIFETIME = timedelta(days=7)


class Invitation(models.Model):
    """An e-mailed link that makes (or attaches) a user with a role in an account."""

    tenant_merchant_field = "merchant"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    # Only a hash is stored: a database dump does not hold working invitation links.
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            merchant_scope_constraint("invitation_merchant_scope"),
        ]
        indexes = [models.Index(fields=["account", "email"], name="invitation_account_email")]

    def __str__(self) -> str:
        return f"Invitation for {self.email} to {self.account}"

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"
