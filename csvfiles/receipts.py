"""Services of the processed-files ledger: claim a picked-up file, then mark it done or failed."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Account, Merchant
from csvfiles.models import FileReceipt
from jobs.models import JobRun

# A claim older than this belongs to a run that died: it outlasts a job's hard time limit
# (Celery kills a run then), so a run still alive never loses its file to another.
CLAIM_TIMEOUT = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 240)
REASON_LENGTH = 2000


def content_sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def file_receipt_get(
    *, account: Account, connection_kind: str, connection_id: int, content: bytes
) -> FileReceipt | None:
    """The receipt of this content, if the connection ever picked it up (for a run's log:
    "skipped: the same content as … processed on …")."""
    return FileReceipt.objects.filter(
        account=account,
        connection_kind=connection_kind,
        connection_id=connection_id,
        sha256=content_sha256(content),
    ).first()


def file_receipt_claim(
    *,
    account: Account,
    connection_kind: str,
    connection_id: int,
    folder: str,
    file_name: str,
    content: bytes,
    job_run: JobRun | None = None,
    merchant: Merchant | None = None,
    timeout: timedelta = CLAIM_TIMEOUT,
    retry_failed: bool = True,
) -> FileReceipt | None:
    """Claim a picked-up file for this run: the receipt, or None when its content was
    processed already or a live run holds it.

    A claim is taken again when its run has finished without marking it (killed, then
    reaped) or when it is older than `timeout`; the run that takes it over processes the
    file again, which is safe because the hub upserts what a file holds. A failed file
    is claimed again unless retry_failed is False.
    """
    now = timezone.now()
    key = {
        "account": account,
        "connection_kind": connection_kind,
        "connection_id": connection_id,
        "sha256": content_sha256(content),
    }
    claim = {
        "folder": folder,
        "file_name": file_name,
        "size": len(content),
        "job_run": job_run,
        "merchant": merchant,
        "claimed_at": now,
    }
    try:
        # A savepoint: the caller may be inside a transaction that must survive the clash.
        with transaction.atomic():
            return FileReceipt.objects.create(**key, **claim, first_seen_at=now)
    except IntegrityError:
        pass  # the content is known: the unique constraint made the check, now see its state
    receipt = FileReceipt.objects.filter(**key).select_related("job_run").first()
    if receipt is None or not _claimable(receipt, now, timeout, retry_failed):
        return None
    token = uuid.uuid4()
    # No lock: the WHERE clause is the check and the row count says who won. Two runs that
    # both saw the same dead claim race here; the second finds a new token and gets 0.
    taken = FileReceipt.objects.filter(
        id=receipt.id, status=receipt.status, claim_token=receipt.claim_token
    ).update(
        **claim,
        status=FileReceipt.Status.CLAIMED,
        claim_token=token,
        claim_count=F("claim_count") + 1,
        reason="",
        finished_at=None,
    )
    if taken != 1:
        return None
    receipt.refresh_from_db()
    return receipt


def _claimable(receipt: FileReceipt, now: datetime, timeout: timedelta, retry_failed: bool) -> bool:
    if receipt.status == FileReceipt.Status.FAILED:
        return retry_failed
    if receipt.status != FileReceipt.Status.CLAIMED:
        return False
    run_over = receipt.job_run is not None and receipt.job_run.finished_at is not None
    return run_over or receipt.claimed_at <= now - timeout


def file_receipt_done(
    *, receipt: FileReceipt, records_ok: int = 0, records_failed: int = 0
) -> bool:
    """Mark a claimed file processed (call it in the transaction that stores its records).
    False when this run's claim was taken over meanwhile: the other run finishes it."""
    return _finish(
        receipt,
        status=FileReceipt.Status.DONE,
        records_ok=records_ok,
        records_failed=records_failed,
    )


def file_receipt_failed(*, receipt: FileReceipt, reason: str) -> bool:
    """Mark a claimed file failed with the reason people see (what to change). False when
    this run's claim was taken over meanwhile."""
    return _finish(receipt, status=FileReceipt.Status.FAILED, reason=reason[:REASON_LENGTH])


def _finish(receipt: FileReceipt, **changes: object) -> bool:
    changes["finished_at"] = timezone.now()
    finished = FileReceipt.objects.filter(
        id=receipt.id, status=FileReceipt.Status.CLAIMED, claim_token=receipt.claim_token
    ).update(**changes)
    if finished:
        for name, value in changes.items():
            setattr(receipt, name, value)
    return finished == 1
