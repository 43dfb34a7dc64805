"""Schedules per (cart, service) and (merchant, service), job runs, and the dispatcher heartbeat."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account, Merchant
from carts.models import CartConnection
from jobs.registry import service_choices


class Frequency(models.TextChoices):
    OFF = "off", "Off"
    AUTOMATIC = "automatic", "Automatic"
    MINUTES_5 = "5m", "Every 5 minutes"
    MINUTES_10 = "10m", "Every 10 minutes"
    MINUTES_15 = "15m", "Every 15 minutes"
    MINUTES_30 = "30m", "Every 30 minutes"
    HOURS_1 = "1h", "Every hour"
    HOURS_2 = "2h", "Every 2 hours"
    HOURS_4 = "4h", "Every 4 hours"
    HOURS_6 = "6h", "Every 6 hours"
    HOURS_12 = "12h", "Every 12 hours"
    DAILY = "daily", "Daily at a time"


class ServiceSchedule(models.Model):
    """When one service runs next for one cart or merchant, and whether a run holds it now."""

    tenant_merchant_field = "merchant"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="schedules")
    cart = models.ForeignKey(
        CartConnection, on_delete=models.CASCADE, null=True, blank=True, related_name="schedules"
    )
    # The services apps declared (jobs/registry.py); jobs declares only its own cleanup.
    service = models.CharField(max_length=30, choices=service_choices)
    frequency = models.CharField(max_length=12, choices=Frequency.choices, default=Frequency.OFF)
    daily_at = models.TimeField(null=True, blank=True, help_text="Local time in the account's zone")
    # False while the frequency is Off or the connection is disabled or paused: the partial
    # index below then leaves the row out, so a tick never reads it.
    enabled = models.BooleanField(default=False)
    next_run_at = models.DateTimeField(null=True, blank=True)
    # Set by the dispatcher's claim, cleared when the run ends (or by the reaper).
    running_since = models.DateTimeField(null=True, blank=True)
    # Set when a worker took the claim and holds its run lock (jobs/ownership.py); empty
    # while the claim's task waits in the queue.
    run_started_at = models.DateTimeField(null=True, blank=True)
    # When the claim's task was last sent, and how often: a task lost with the broker is
    # sent again (jobs/dispatcher.py).
    enqueued_at = models.DateTimeField(null=True, blank=True)
    enqueue_count = models.PositiveIntegerField(default=0)
    last_run = models.ForeignKey(
        "JobRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    consecutive_failures = models.PositiveIntegerField(default=0)
    # Where a merchant-level service left off in the WMS (ship confirm's cursor).
    cursor = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "service"],
                condition=Q(cart__isnull=False),
                name="schedule_cart_service",
            ),
            models.UniqueConstraint(
                fields=["merchant", "service"],
                condition=Q(cart__isnull=True),
                name="schedule_merchant_service",
            ),
            models.CheckConstraint(
                condition=Q(daily_at__isnull=False) | ~Q(frequency="daily"),
                name="schedule_daily_has_time",
            ),
        ]
        indexes = [
            # The dispatcher's claim reads only due, enabled, unclaimed rows.
            models.Index(
                fields=["next_run_at"],
                condition=Q(enabled=True, running_since__isnull=True),
                name="schedule_due",
            ),
            models.Index(
                fields=["running_since"],
                condition=Q(running_since__isnull=False),
                name="schedule_running",
            ),
            models.Index(fields=["account", "merchant"], name="schedule_account_merchant"),
        ]

    def __str__(self) -> str:
        owner = self.cart or self.merchant
        return f"{self.get_service_display()} for {owner}: {self.get_frequency_display()}"


class JobRun(models.Model):
    """One run of one service: trigger, times, outcome, counts and a readable log."""

    tenant_merchant_field = "merchant"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        AUTOMATIC = "automatic", "Automatic"
        MANUAL = "manual", "Manual"
        CLEANUP = "cleanup", "Cleanup"
        WEBHOOK = "webhook", "Webhook"
        # Started by another run of the same schedule to share its backlog.
        HELPER = "helper", "Helper"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCESS = "success", "Success"
        PARTIAL = "partial", "Partly failed"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    cart = models.ForeignKey(
        CartConnection, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    schedule = models.ForeignKey(
        ServiceSchedule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The services apps declared (jobs/registry.py); jobs declares only its own cleanup.
    service = models.CharField(max_length=30, choices=service_choices)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    records_seen = models.PositiveIntegerField(default=0)
    records_ok = models.PositiveIntegerField(default=0)
    records_failed = models.PositiveIntegerField(default=0)
    records_skipped = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, default="")
    log = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-started_at", "-id"], name="jobrun_account_started"),
            models.Index(fields=["cart", "service", "-started_at"], name="jobrun_cart_service"),
            models.Index(
                fields=["merchant", "service", "-started_at"], name="jobrun_merchant_service"
            ),
            # The runs still running, which each dispatcher tick looks at: a few rows.
            models.Index(
                fields=["trigger"],
                condition=models.Q(status="running"),
                name="jobrun_running",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_service_display()} #{self.id} ({self.status})"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class Heartbeat(models.Model):
    """The last time a named process did its periodic work (the dispatcher tick)."""

    name = models.CharField(max_length=50, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
