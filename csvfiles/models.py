"""FileReceipt: the ledger of picked-up files, so each file's content is processed once."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from accounts.models import Account, Merchant


class FileReceipt(models.Model):
    """A file a connection picked up, known by its content's sha256: claimed by a run,
    then done or failed. The same content again is the same receipt (never processed
    twice); a file re-uploaded under the same name with new content is a new one."""

    # Merchant users see their own merchant's files; the warehouse's own folder is the
    # account's (merchant empty), which they never see.
    tenant_merchant_field = "merchant"

    class Kind(models.TextChoices):
        WMS = "wms", "WMS"
        CART = "cart", "Cart"

    class Status(models.TextChoices):
        CLAIMED = "claimed", "Being processed"
        DONE = "done", "Processed"
        FAILED = "failed", "Failed"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # Which connection picked it up: the account's WMS or a cart (no foreign key, since it
    # is one of two tables; a receipt outlives a connection deleted and made again).
    connection_kind = models.CharField(max_length=10, choices=Kind.choices)
    connection_id = models.BigIntegerField()
    folder = models.CharField(max_length=500, blank=True)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CLAIMED)
    reason = models.TextField(blank=True, default="")
    # A new token with every claim: done/failed from a run whose claim was taken over
    # (it was thought dead) change nothing.
    claim_token = models.UUIDField(default=uuid.uuid4)
    claim_count = models.PositiveIntegerField(default=1)
    job_run = models.ForeignKey(
        "jobs.JobRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    records_ok = models.PositiveIntegerField(default=0)
    records_failed = models.PositiveIntegerField(default=0)
    first_seen_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-claimed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "connection_kind", "connection_id", "sha256"],
                name="file_receipt_content_once",
            ),
            models.CheckConstraint(
                condition=models.Q(connection_kind__in=["wms", "cart"]),
                name="file_receipt_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["claimed", "done", "failed"]),
                name="file_receipt_status_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["account", "connection_kind", "connection_id", "-claimed_at"],
                name="file_receipt_connection",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.folder.rstrip('/')}/{self.file_name} ({self.get_status_display()})"
