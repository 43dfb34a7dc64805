"""An order file uploaded on a CSV cart's page: loaded at once, once, in a job run of its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from carts.connectors.csv.connector import ORDER_FORMAT
from carts.connectors.csv.orders import orders_read
from carts.models import CartConnection
from csvfiles.formats import ORDERS, CsvFormat
from csvfiles.models import FileReceipt
from csvfiles.pickup import Pickup, content_claim, reading_format, row_failures
from csvfiles.receipts import file_receipt_done, file_receipt_failed
from integration_manager.connector_errors import ConnectorError
from integration_manager.records import OrderPage
from jobs.models import JobRun
from jobs.recorder import RunRecorder
from orders.jobs import ORDER_DOWNLOAD
from orders.services.download import order_page_store


@dataclass(frozen=True)
class OrderFileLoad:
    """What an uploaded file did, for the page that shows it: the orders it brought, the
    rows refused (each with the file and line), or why nothing was loaded."""

    job_run: JobRun
    file_name: str
    new: int = 0
    updated: int = 0
    refused: tuple[str, ...] = ()
    rejected: str = ""  # the file as a whole is not in the format: why
    loaded_before_at: datetime | None = None  # the same content was loaded then
    loaded_before_as: str = ""  # under this name
    busy: bool = False  # another run is loading the same content right now


def order_file_load(*, cart: CartConnection, file_name: str, content: bytes) -> OrderFileLoad:
    """Load an order file into a CSV cart now, through the ledger of files (the same
    content is loaded once, whether it was dropped in the folder or uploaded) and the
    download's own page store, inside a job run (trigger manual) whose log names the file
    and each refused row. ValidationError when the cart's order format cannot read files."""
    try:
        fmt = reading_format(cart.settings, ORDER_FORMAT, ORDERS, "Order file")
    except ConnectorError as problem:
        raise ValidationError(str(problem)) from None
    run = RunRecorder(
        JobRun.objects.create(
            account_id=cart.account_id,
            merchant_id=cart.merchant_id,
            cart=cart,
            service=ORDER_DOWNLOAD,
            trigger=JobRun.Trigger.MANUAL,
        )
    )
    file_name = file_name[-200:]  # what a browser sends is the name alone; keep it short
    run.log("Uploaded in the browser: %s (%s bytes).", file_name, len(content))
    try:
        outcome = _load(cart, file_name, content, fmt, run)
    except BaseException:
        _close(run, failed=True)
        raise
    _close(run, failed=bool(outcome.rejected))
    return outcome


def _load(
    cart: CartConnection, name: str, content: bytes, fmt: CsvFormat, run: RunRecorder
) -> OrderFileLoad:
    pickup = Pickup(
        account_id=cart.account_id,
        connection_kind="cart",
        connection_id=cart.id,
        service=ORDER_DOWNLOAD,
        folder="",  # the browser: no folder, nothing to archive
        archive="",
        merchant_id=cart.merchant_id,
        cart_id=cart.id,
    )
    receipt, earlier = content_claim(pickup=pickup, name=name, content=content, job_run=run.job_run)
    if receipt is None:
        return _not_again(run, name, earlier)
    result = orders_read(content, fmt, changed_at=None)
    if result.rejected:
        reason = " ".join(str(error) for error in result.errors)
        file_receipt_failed(receipt=receipt, reason=reason)
        run.log("%s was not read at all: %s", name, reason)
        run.count(failed=1)
        run.say(f"{name} was not read: it is not in the cart's order file format.")
        return OrderFileLoad(run.job_run, name, rejected=reason)
    failures = row_failures(name, result)
    page = OrderPage(orders=result.records, failures=failures, source=name)
    with transaction.atomic():  # the orders and the receipt together: the file loads once
        new, updated = order_page_store(cart=cart, page=page, run=run)
        file_receipt_done(
            receipt=receipt, records_ok=len(result.records), records_failed=len(failures)
        )
    run.say(f"{name}: {new} new order(s), {updated} updated, {len(failures)} row(s) refused.")
    refused = tuple(str(failure) for failure in failures)
    return OrderFileLoad(run.job_run, name, new=new, updated=updated, refused=refused)


def _not_again(run: RunRecorder, name: str, earlier: FileReceipt | None) -> OrderFileLoad:
    if earlier is not None and earlier.status == FileReceipt.Status.DONE:
        when = earlier.finished_at or earlier.claimed_at
        run.log(
            "%s has the same content as %s, loaded on %s UTC: nothing loaded again.",
            name,
            earlier.file_name,
            f"{when:%Y-%m-%d %H:%M}",
        )
        run.say(f"{name} was loaded before: nothing loaded again.")
        return OrderFileLoad(
            run.job_run, name, loaded_before_at=when, loaded_before_as=earlier.file_name
        )
    run.log("%s: another run is loading the same content now; nothing done here.", name)
    run.say(f"{name} is being loaded by another run.")
    return OrderFileLoad(run.job_run, name, busy=True)


def _close(run: RunRecorder, *, failed: bool) -> None:
    """End the upload's job run as the runner ends a scheduled one (jobs/runner.py)."""
    job_run = run.job_run
    if failed or (run.failed and not run.ok):
        job_run.status = JobRun.Status.FAILED
    else:
        job_run.status = JobRun.Status.PARTIAL if run.failed else JobRun.Status.SUCCESS
    job_run.finished_at = timezone.now()
    job_run.records_seen, job_run.records_ok = run.seen, run.ok
    job_run.records_failed, job_run.records_skipped = run.failed, run.skipped
    job_run.message, job_run.log = run.message, run.text()
    job_run.save()
