"""The file transport interface: folders of files on a server, and the errors they raise."""

from __future__ import annotations

import errno
import logging
import posixpath
import secrets
import socket
import unicodedata
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Self

from integration_manager.connector_errors import AuthError, ConnectorError, TransientError
from integration_manager.http import remote_text

logger = logging.getLogger(__name__)

# Seconds a connection may take to open and each reply to come; a transfer is many replies.
DEFAULT_TIMEOUT = 30.0


class FolderNotFound(ConnectorError):
    """The folder is not on the server (or the login may not see it): fix the setting or the
    server; retried on the schedule, since creating the folder on the server is enough."""


class PermissionDenied(ConnectorError):
    """The server refused the login this one action in this folder (read-only, say)."""


class FileMissing(ConnectorError):
    """The file is not in the folder any more: another program took or renamed it."""


class FileExists(ConnectorError):
    """write_atomic never replaces a file: a file of that name is already in the folder."""


class HostKeyChanged(AuthError):
    """The SFTP server showed another host key than the one pinned on first use."""


@dataclass(frozen=True)
class RemoteFile:
    """A file in a remote folder; size and modified are None when the server does not say."""

    name: str
    size: int | None
    modified: datetime | None


def name_check(name: str) -> str:
    """A file name the transports accept: one name, no folder, nothing a protocol would read
    as a command (a line break ends an FTP command) or a path (a slash, "..")."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or _has_control(name):
        raise ConnectorError(
            f"The file name {remote_text(name, limit=80)!r} cannot be used: a file name is one "
            "name without slashes, line breaks or other control characters."
        )
    return name


def folder_check(folder: str) -> str:
    """A folder the transports accept: "" is the folder the login starts in, a relative one is
    below it, "/out" is from the server's root."""
    if _has_control(folder) or any(part == ".." for part in folder.split("/")):
        raise ConnectorError(
            f"The folder {remote_text(folder, limit=80)!r} cannot be used: type a folder "
            "without line breaks, control characters or '..'."
        )
    return folder


def _has_control(text: str) -> bool:
    return any(unicodedata.category(character) == "Cc" for character in text)


def folder_shown(folder: str) -> str:
    """How a folder is named in a message: a user knows "" as the login folder."""
    return f"the folder {remote_text(folder, limit=120)}" if folder else "the login folder"


def temporary_name(name: str) -> str:
    """The name write_atomic uploads under: hidden (a leading dot), marked as partial, and
    random, so no pickup pattern like *.csv takes it and two writers never share it."""
    return f".{name}.{secrets.token_hex(4)}.part"


def free_name(name: str, taken: set[str]) -> str:
    """name, or name with -2, -3… before its extension when the folder already has it."""
    if name not in taken:
        return name
    stem, extension = posixpath.splitext(name)
    number = 2
    while f"{stem}-{number}{extension}" in taken:
        number += 1
    return f"{stem}-{number}{extension}"


def connection_failure(error: OSError, *, host: str, port: int) -> TransientError:
    """Words for a connection that could not be made or was cut, told apart like the HTTP
    helper's (integration_manager/http.py), so a user knows what to check."""
    if isinstance(error, socket.gaierror):
        message = (
            f"The address {host} could not be found (no such name in DNS). Check its spelling "
            "in the settings; the hub will try again."
        )
    elif isinstance(error, ConnectionRefusedError):
        message = (
            f"{host} refused the connection on port {port}: nothing answers there. Check the "
            "address and port in the settings; the hub will try again."
        )
    elif isinstance(error, TimeoutError):
        message = f"{host} did not answer in time on port {port}. The hub will try again."
    elif error.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        message = f"There is no route to {host}. The hub will try again."
    else:
        message = f"The connection to {host} was cut before it answered. The hub will try again."
    return TransientError(message)


class FileTransport(ABC):
    """Files in folders on a server the user named, reached through the outbound guard.

    Connects on first use; use it as a context manager (or call close()). Every failure is
    the connector error family with a message that says what to fix: AuthError for a login
    refused (and a changed SFTP host key or a pinned certificate that no longer matches),
    FolderNotFound, PermissionDenied, FileMissing, FileExists, TransientError for a name
    that does not resolve, a closed port, a timeout or a cut connection, OutboundRefused
    when the guard refuses the host.
    """

    protocol: str  # the settings' name for it: "ftp", "ftps", "sftp", "email"
    label: str  # how test() names the protocol: "SFTP", "FTPS, passive mode"…

    def __init__(self, *, host: str, port: int, username: str, folder: str = "") -> None:
        self.host = host
        self.port = port
        self.username = username
        # The folder test() looks in: the one the connection's files come from or go to.
        self.folder = folder_check(folder)

    def __repr__(self) -> str:  # never a credential
        return f"<{type(self).__name__} {self.username}@{self.host}:{self.port}>"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @abstractmethod
    def test(self) -> str:
        """Connect, log in and look at the settings' folder; say what was found."""

    @abstractmethod
    def list(self, folder: str) -> list[RemoteFile]:
        """The files in the folder (not its sub-folders), in the server's order."""

    @abstractmethod
    def read(self, folder: str, name: str) -> bytes:
        """The whole content of one file."""

    @abstractmethod
    def write_atomic(self, folder: str, name: str, data: bytes) -> None:
        """Put a file under name so that no reader ever sees it half-written; never replace a
        file: FileExists when name is already there."""

    @abstractmethod
    def move(self, folder: str, name: str, to_folder: str) -> str:
        """Move a file into to_folder (made if missing), as an archive does; never replace a
        file there: a name taken already gets -2, -3… before its extension. Returns the
        name it has in to_folder."""

    @abstractmethod
    def close(self) -> None:
        """Log out and close the connection; safe to call twice."""


class FolderTransport(FileTransport):
    """A transport with real folders (FTP, SFTP): the atomic write and the archive move are
    the same steps on each; the protocols supply the primitives."""

    def test(self) -> str:
        files = self.list(self.folder)
        count = f"{len(files)} file" + ("" if len(files) == 1 else "s")
        found = f"{folder_shown(self.folder)} has {count}"
        return f"Connected to {self.host} as {self.username} ({self.label}); {found}."

    def write_atomic(self, folder: str, name: str, data: bytes) -> None:
        name_check(name)
        folder_check(folder)
        self._refuse_existing(folder, name)
        temporary = self.path(folder, temporary_name(name))
        self._upload(folder, temporary, data)
        try:
            # Checked again just before the rename: another writer may have been quicker.
            # Servers differ on renaming onto a file (SFTP refuses, most FTP servers replace).
            self._refuse_existing(folder, name)
            self._rename(folder, temporary, self.path(folder, name))
        except BaseException:
            self._discard(temporary)
            raise

    def move(self, folder: str, name: str, to_folder: str) -> str:
        name_check(name)
        folder_check(folder)
        folder_check(to_folder)
        self._folder_make(to_folder)
        target = free_name(name, self._names(to_folder))
        self._rename(folder, self.path(folder, name), self.path(to_folder, target))
        return target

    def path(self, folder: str, name: str) -> str:
        """Where name is on the server; a relative folder is below the login folder."""
        return posixpath.join(folder, name) if folder else name

    def _refuse_existing(self, folder: str, name: str) -> None:
        if name in self._names(folder):
            raise FileExists(
                f"{remote_text(name, limit=120)} is already in {folder_shown(folder)} on "
                f"{self.host}; the hub never replaces a file, so nothing was written."
            )

    def _discard(self, path: str) -> None:
        """Remove a temporary upload after a failure, which the caller then raises."""
        try:
            self._remove(path)
        except (ConnectorError, OSError) as failure:
            # The upload's own failure is what the user must see; this one is for the log.
            logger.warning("could not remove the temporary file %s: %s", path, failure)

    @abstractmethod
    def _names(self, folder: str) -> set[str]:
        """Every name in the folder, files and folders; FolderNotFound when it is missing."""

    @abstractmethod
    def _upload(self, folder: str, path: str, data: bytes) -> None: ...

    @abstractmethod
    def _rename(self, folder: str, source: str, target: str) -> None:
        """Rename a file; folder is where source is, for messages."""

    @abstractmethod
    def _remove(self, path: str) -> None: ...

    @abstractmethod
    def _folder_make(self, folder: str) -> None:
        """Make the folder and any missing folder above it; nothing when it is there."""
