"""Files picked up from a connection's folder, each once: read, claim, hand over, then archive."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from csvfiles.formats import (
    CsvFormat,
    FormatInvalid,
    ParseResult,
    format_from_settings,
    reading_problems,
)
from csvfiles.models import FileReceipt
from csvfiles.receipts import (
    file_receipt_claim,
    file_receipt_done,
    file_receipt_failed,
    file_receipt_get,
)
from integration_manager.connector_errors import ConnectorError, RecordError
from integration_manager.transports import (
    FileMissing,
    FileTransport,
    FolderNotFound,
    PermissionDenied,
    RemoteFile,
    transport_for,
)
from integration_manager.transports.base import folder_check, name_check

if TYPE_CHECKING:
    from jobs.models import JobRun

R = TypeVar("R")
logger = logging.getLogger(__name__)

# A run takes at most this many files; the next run takes the rest.
MAX_FILES = 100
# Names that programs give a file while they still write it (WinSCP, curl, rsync…): never
# taken, so a warehouse that uploads without renaming is not read half-way as often.
UNFINISHED_SUFFIXES = (".part", ".partial", ".filepart", ".tmp", ".temp", ".crdownload")
REJECTED_FOLDER = "rejected"
NOT_TESTED = (
    "The SFTP server's host key is not known yet, so the hub does not connect for a run: "
    "test the connection first (Test connection on the setup page) so the hub keeps the "
    "server's key and refuses any other."
)


# --- the transport of a connection ---------------------------------------------------------


class TransportHolder:
    """What a file connector keeps of its transport: the SFTP host key rule and the key the
    test saw, which the setup flow saves (learned_settings(); see connection_test)."""

    settings: dict[str, Any]
    credentials: Mapping[str, str]
    _tested_transport: FileTransport | None = None

    @property
    def protocol(self) -> str:
        return str(self.settings.get("protocol") or "")

    def transport(self, *, testing: bool = False) -> FileTransport:
        """The connection's transport; for a run (not a test), an SFTP server whose key
        nobody pinned yet is refused: a first connection by a run would trust any key."""
        if self.protocol == "sftp" and not self.settings.get("host_key") and not testing:
            raise ConnectorError(NOT_TESTED)
        transport = transport_for(self.settings, self.credentials)
        if testing:
            self._tested_transport = transport
        return transport

    def learned_settings(self) -> dict[str, str]:
        """Settings the last test learned: the SFTP host key it saw when none was pinned."""
        seen = getattr(self._tested_transport, "host_key_seen", None)
        if seen and not self.settings.get("host_key"):
            return {"host_key": seen}
        return {}


def folders_seen(
    transport: FileTransport,
    folders: Mapping[str, str],
    *,
    made: Collection[str] = (),
    owner: str = "",
) -> str:
    """What a connection test found in each folder (by what it holds: "orders", "archive"):
    its file count, or which folder was not found or not allowed. Folders in `made` are
    made at the first pickup, so a missing one is only noted."""
    seen = []
    for what, folder in folders.items():
        where = f"{owner}, {what} folder" if owner else f"The {what} folder"
        try:
            count = len(transport.list(folder))
        except FolderNotFound as missing:
            if what not in made:
                raise FolderNotFound(f"{where}: {missing}") from None
            seen.append(f"{what} {folder or '(login folder)'} (made at the first pickup)")
            continue
        except PermissionDenied as denied:
            raise PermissionDenied(f"{where}: {denied}") from None
        seen.append(
            f"{what} {folder or '(login folder)'} ({count} file{'' if count == 1 else 's'})"
        )
    return ", ".join(seen)


def format_for(settings: Mapping[str, Any], key: str, direction: str, title: str) -> CsvFormat:
    """A connection's saved format as a connector uses it: ConnectorError (with what to do)
    when it cannot be used, never a ValueError in the middle of a run."""
    try:
        return format_from_settings(settings, key, direction)
    except FormatInvalid as problem:
        raise ConnectorError(
            f"The {title.lower()} format cannot be used ({problem}). Open it from the setup "
            "page, choose a preset or correct it, and save."
        ) from None


def reading_format(settings: Mapping[str, Any], key: str, direction: str, title: str) -> CsvFormat:
    """A format files are read with; one that cannot read (no SKU column, say) stops the run
    before any file is touched: the files are not at fault."""
    fmt = format_for(settings, key, direction, title)
    problems = reading_problems(fmt)
    if problems:
        raise ConnectorError(
            f"The {title.lower()} format cannot read files: {' '.join(problems)} Correct it "
            "from the setup page; the files wait in their folder until then."
        )
    return fmt


# --- folders and names ----------------------------------------------------------------------


def folder_clean(text: str) -> str:
    """A folder as typed, tidied: no spaces around, no slash at the end, one slash between
    parts; a leading slash (from the server's root) is kept. ConnectorError for one the
    transports refuse."""
    folder = text.strip()
    absolute = folder.startswith("/")
    parts = [part.strip() for part in folder.split("/") if part.strip()]
    folder = ("/" if absolute else "") + "/".join(parts)
    return folder_check(folder)


def folders_clashing(folders: Mapping[str, str]) -> dict[str, str]:
    """Uses given a folder another use has, as {use: the earlier use}: one folder for two
    uses would have the hub read its own files (or its archive) as new ones."""
    first: dict[str, str] = {}
    clashes = {}
    for use, folder in folders.items():
        if folder in first:
            clashes[use] = first[folder]
        else:
            first[folder] = use
    return clashes


def folder_join(first: str, second: str) -> str:
    """Two folders one below the other; blank ones drop out. Only the first may start at the
    server's root."""
    parts = [part.strip("/") for part in (first, second) if part.strip("/")]
    path = "/".join(parts)
    return f"/{path}" if first.startswith("/") and path else path


def file_name_make(kind: str, label: str, *, now: datetime | None = None) -> str:
    """A file name no other write uses: the kind, a label (a merchant's folder, an order),
    the UTC time and a random part, such as orders-acme-20261202T082400Z-3f9a1c.csv."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", label).strip("-")[:40] or "hub"
    return f"{kind}-{slug}-{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}.csv"


def waiting_files(files: list[RemoteFile]) -> list[RemoteFile]:
    """The files to take, oldest first: not hidden (a dot first, as the hub's own temporary
    uploads are), not named as unfinished, and with a name the transports can use."""
    taken = []
    for file in files:
        lowered = file.name.lower()
        if file.name.startswith(".") or lowered.endswith(UNFINISHED_SUFFIXES):
            continue
        try:
            name_check(file.name)
        except ConnectorError:
            continue  # a line break in a name: no protocol can ask for it
        taken.append(file)
    never = datetime.max.replace(tzinfo=UTC)
    return sorted(taken, key=lambda file: (file.modified or never, file.name))[:MAX_FILES]


# --- the ledger -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pickup:
    """Where files are picked up, where they go afterwards, and who takes them: the ledger's
    connection and the job service whose running run holds the claims."""

    account_id: int
    connection_kind: str  # "wms" or "cart"
    connection_id: int
    service: str  # e.g. "ship_confirm": its running JobRun owns the claims
    folder: str
    archive: str
    merchant_id: int | None = None
    cart_id: int | None = None

    @property
    def rejected(self) -> str:
        return folder_join(self.archive, REJECTED_FOLDER)


@dataclass
class FileRead(Generic[R]):
    """One file's records and bad rows, and how the run's log names it (its name, with a note
    when it was not read)."""

    name: str
    records: list[R] = field(default_factory=list)
    failures: list[RecordError] = field(default_factory=list)
    source: str = ""


def running_job_run(pickup: Pickup) -> JobRun | None:
    """The run of the pickup's service that is going on now (the runner holds the schedule's
    lock, so there is one), for the claims: when it ends without marking a file, the next
    run takes the file over at once. None outside a run."""
    from jobs.models import JobRun  # jobs imports the apps that import connectors

    return (
        JobRun.objects.filter(
            account_id=pickup.account_id,
            merchant_id=pickup.merchant_id,
            cart_id=pickup.cart_id,
            service=pickup.service,
            status=JobRun.Status.RUNNING,
        )
        .order_by("-id")
        .first()
    )


def row_failures(name: str, result: ParseResult[Any]) -> list[RecordError]:
    """Each bad row of a file as the failure a page carries: the file and the line first."""
    return [
        RecordError(f"{name}, line {error.line}: {error.message}", record_ref="")
        for error in result.errors
    ]


def content_claim(
    *, pickup: Pickup, name: str, content: bytes, job_run: JobRun | None
) -> tuple[FileReceipt | None, FileReceipt | None]:
    """Claim a file's content for this run: (the receipt, None), or (None, the earlier
    receipt of the same content) when it was processed already or a live run holds it."""
    from accounts.models import Account, Merchant

    account = Account.objects.get(id=pickup.account_id)
    merchant = Merchant.objects.get(id=pickup.merchant_id) if pickup.merchant_id else None
    receipt = file_receipt_claim(
        account=account,
        connection_kind=pickup.connection_kind,
        connection_id=pickup.connection_id,
        folder=pickup.folder,
        file_name=name,
        content=content,
        job_run=job_run,
        merchant=merchant,
    )
    if receipt is not None:
        return receipt, None
    earlier = file_receipt_get(
        account=account,
        connection_kind=pickup.connection_kind,
        connection_id=pickup.connection_id,
        content=content,
    )
    return None, earlier


def earlier_note(earlier: FileReceipt | None) -> str:
    """Why a file was not read, for the run's log and the upload page."""
    if earlier is not None and earlier.status == FileReceipt.Status.DONE:
        when = (earlier.finished_at or earlier.claimed_at).astimezone(UTC)
        return (
            f"the same content as {earlier.file_name} was processed on "
            f"{when:%Y-%m-%d %H:%M} UTC; not read again"
        )
    return "another run is reading the same content now; left to it"


# --- picking files up ---------------------------------------------------------------------


def files_pick_up(
    *,
    transport: FileTransport,
    pickup: Pickup,
    parse: Callable[[bytes, datetime | None], ParseResult[R]],
) -> Iterator[FileRead[R]]:
    """Each waiting file of the folder, oldest first, as one FileRead to store; parse gets
    its content and the time the server says it was last changed (None if it does not say).

    A file's content is claimed in the ledger (csvfiles/receipts.py) before it is read into
    records; when the caller asks for the next file, the one it got is stored, so it is
    marked done and moved to the archive then. A caller that stops (a failure, a killed
    worker) leaves the claim, which the next run takes over: it reads the file again, and
    the hub's upserts store nothing twice. Content processed before is archived unread; a
    file that is not in the format at all is marked failed and moved to <archive>/rejected.
    """
    job_run = running_job_run(pickup)
    for remote in waiting_files(transport.list(pickup.folder)):
        yield from _file_pick_up(transport, pickup, remote, parse, job_run)


def _file_pick_up(
    transport: FileTransport,
    pickup: Pickup,
    remote: RemoteFile,
    parse: Callable[[bytes, datetime | None], ParseResult[R]],
    job_run: JobRun | None,
) -> Iterator[FileRead[R]]:
    name = remote.name
    try:
        content = transport.read(pickup.folder, name)
    except FileMissing:
        return  # another program took it after the listing: it is not ours to read
    receipt, earlier = content_claim(pickup=pickup, name=name, content=content, job_run=job_run)
    if receipt is None:
        if earlier is not None and earlier.status == FileReceipt.Status.DONE:
            _archive(transport, pickup.folder, name, pickup.archive)
        yield FileRead(name, source=f"{name} ({earlier_note(earlier)})")
        return
    result = parse(content, remote.modified)
    if result.rejected:
        reason = " ".join(str(error) for error in result.errors)
        file_receipt_failed(receipt=receipt, reason=reason)
        moved = transport.move(pickup.folder, name, pickup.rejected)
        failure = RecordError(
            f"{name} was not read at all: {reason} It was moved to "
            f"{folder_join(pickup.rejected, moved)}; correct the format or the file, and put it "
            "back in the folder.",
            record_ref=name,
        )
        yield FileRead(name, failures=[failure], source=name)
        return
    failures = row_failures(name, result)
    yield FileRead(name, records=result.records, failures=failures, source=name)
    # Resumed: the caller stored what the file held.
    if file_receipt_done(
        receipt=receipt, records_ok=len(result.records), records_failed=len(failures)
    ):
        _archive(transport, pickup.folder, name, pickup.archive)
    # else another run took the claim over (this one was thought dead): it archives the file


def _archive(transport: FileTransport, folder: str, name: str, archive: str) -> None:
    try:
        transport.move(folder, name, archive)
    except FileMissing:
        # Another program took the file away first; what it held is stored already.
        logger.info("%s left %s before the hub archived it", name, folder or "the login folder")
