"""FTP (passive or active) and FTPS (explicit TLS) with ftplib, through the outbound guard."""

from __future__ import annotations

import ftplib
import io
import posixpath
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from integration_manager.connector_errors import AuthError, ConnectorError, TransientError
from integration_manager.http import remote_text
from integration_manager.outbound import guarded_connect
from integration_manager.redaction import register_secret_forms
from integration_manager.transports.base import (
    DEFAULT_TIMEOUT,
    FileMissing,
    FolderNotFound,
    FolderTransport,
    PermissionDenied,
    RemoteFile,
    connection_failure,
    folder_check,
    folder_shown,
    name_check,
)
from integration_manager.transports.tls import (
    certificate_refused,
    client_context,
    fingerprint_normalize,
    pin_check,
)

# Words servers put in a 550 that mean "not allowed" rather than "not there".
DENIED_WORDS = ("permission", "denied", "privilege", "not allowed", "forbidden", "read-only")
# Replies that mean the server does not know a command (MLSD on vsftpd, say).
UNKNOWN_COMMAND = ("500", "501", "502", "504")
LOGIN = "log in"


class _GuardedFtp(ftplib.FTP):
    """ftplib's client whose control and data connections go through the outbound guard."""

    # The address in a PASV reply is never used: data goes to the control connection's host
    # (ftplib's default, kept on purpose), or a server could point the hub anywhere.
    trust_server_pasv_ipv4_address = False

    def connect(
        self,
        host: str = "",
        port: int = 0,
        timeout: float = -999,
        source_address: tuple[str, int] | None = None,
    ) -> str:
        if host:
            self.host = host
        if port > 0:
            self.port = port
        if timeout != -999:
            self.timeout = timeout
        if source_address is not None:
            self.source_address = source_address
        self.sock = guarded_connect(
            self.host, self.port, timeout=self.timeout, source_address=self.source_address
        )
        self.af = self.sock.family
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        return self.welcome

    def ntransfercmd(self, cmd: str, rest: int | str | None = None) -> tuple[socket.socket, Any]:
        if not self.passiveserver:
            connection, size = super().ntransfercmd(cmd, rest)
            # Active mode: the server connects to us; take the data only from that server.
            if connection.getpeername()[0] != self.sock.getpeername()[0]:
                connection.close()
                raise ConnectorError(
                    f"A data connection came from another address than {self.host}; the hub "
                    "refused it. Use passive mode."
                )
            return connection, size
        host, port = self.makepasv()  # the control connection's address
        connection = guarded_connect(
            host, port, timeout=self.timeout, source_address=self.source_address
        )
        try:
            if rest is not None:
                self.sendcmd(f"REST {rest}")
            response = self.sendcmd(cmd)
            if response[0] == "2":  # a 200 some servers send before the 150
                response = self.getresp()
            if response[0] != "1":
                raise ftplib.error_reply(response)  # noqa: S321  (ftplib's own reply error)
        except BaseException:
            connection.close()
            raise
        size = ftplib.parse150(response) if response[:3] == "150" else None  # noqa: S321
        return connection, size


class _GuardedFtpTls(ftplib.FTP_TLS, _GuardedFtp):
    """Explicit FTPS (AUTH TLS, PROT P) with the certificate verified or pinned."""

    pinned = ""

    def auth(self) -> str:
        response = super().auth()
        pin_check(self.sock, self.pinned, host=self.host)
        return response

    def ntransfercmd(self, cmd: str, rest: int | str | None = None) -> tuple[socket.socket, Any]:
        connection, size = _GuardedFtp.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            # Reusing the control connection's TLS session is what vsftpd and FileZilla
            # Server demand of a data connection (ftplib alone does not).
            connection = self.context.wrap_socket(
                connection, server_hostname=self.host, session=self.sock.session
            )
            pin_check(connection, self.pinned, host=self.host)
        return connection, size


def _moment(value: str | None) -> datetime | None:
    """MLSD's modify fact and MDTM's answer: YYYYMMDDHHMMSS[.fff] in UTC."""
    if not value or len(value) < 14 or not value[:14].isdigit():
        return None
    return datetime.strptime(value[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def _doing(action: str, folder: str) -> str:
    """What the hub was doing, for a message: "log in", "list the files in the folder out"."""
    return action if action == LOGIN else f"{action} {folder_shown(folder)}"


def _size(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


class FtpTransport(FolderTransport):
    """Files on an FTP server: passive mode by default (active on request), or FTPS with
    explicit TLS (AUTH TLS, then PROT P for the data), the certificate verified against the
    system's authorities, or pinned by its SHA-256 fingerprint for a self-signed server.

    Plain FTP sends the password unencrypted: offer it for servers that have nothing else.
    Listing uses MLSD, and NLST with SIZE and MDTM on servers without it (vsftpd).
    """

    def __init__(
        self,
        *,
        host: str,
        port: int = 21,
        username: str,
        password: str,
        passive: bool = True,
        tls: bool = False,
        tls_fingerprint: str = "",
        folder: str = "",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(host=host, port=port, username=username, folder=folder)
        register_secret_forms(password)
        self._password = password
        self.passive = passive
        self.tls = tls
        self.protocol = "ftps" if tls else "ftp"
        self.tls_fingerprint = fingerprint_normalize(tls_fingerprint)
        self.timeout = timeout
        mode = "passive" if passive else "active"
        self.label = f"{'FTPS' if tls else 'FTP'}, {mode} mode"
        self._ftp: ftplib.FTP | None = None
        self._home = ""

    def close(self) -> None:
        ftp, self._ftp = self._ftp, None
        if ftp is None:
            return
        try:
            ftp.quit()
        except ftplib.all_errors:
            ftp.close()  # the server went first; closing our end is all that is left

    def list(self, folder: str) -> list[RemoteFile]:
        folder_check(folder)
        ftp = self._connection()
        with self._errors(action="list the files in", folder=folder):
            ftp.cwd(self._absolute(folder))
            entries = self._mlsd(ftp)
            if entries is None:
                return self._nlst_files(ftp)
        return [
            RemoteFile(
                name=name, size=_size(facts.get("size")), modified=_moment(facts.get("modify"))
            )
            for name, facts in entries
            if facts.get("type", "").lower() == "file"
        ]

    def read(self, folder: str, name: str) -> bytes:
        name_check(name)
        ftp = self._connection()
        chunks: list[bytes] = []
        with self._errors(action="read a file in", folder=folder, name=name):
            ftp.retrbinary(f"RETR {self.path(folder, name)}", chunks.append)
        return b"".join(chunks)

    def path(self, folder: str, name: str) -> str:
        return posixpath.join(self._absolute(folder), name)

    def _absolute(self, folder: str) -> str:
        # ftplib paths are the server's: a relative folder is below the login folder, which
        # is where the connection starts; listing moves away from it (CWD), so it is kept.
        self._connection()
        return posixpath.join(self._home, folder) if folder else self._home

    def _connection(self) -> ftplib.FTP:
        if self._ftp is None:
            self._ftp = self._open()
        return self._ftp

    def _open(self) -> ftplib.FTP:
        if self.tls:
            ftp: ftplib.FTP = _GuardedFtpTls(
                context=client_context(self.tls_fingerprint), timeout=self.timeout
            )
            ftp.pinned = self.tls_fingerprint  # type: ignore[attr-defined]
        else:
            ftp = _GuardedFtp(timeout=self.timeout)
        try:
            with self._errors(action=LOGIN, folder=""):
                ftp.connect(self.host, self.port)
                if isinstance(ftp, _GuardedFtpTls):
                    self._secure(ftp)
                ftp.login(self.username, self._password)
                if isinstance(ftp, _GuardedFtpTls):
                    ftp.prot_p()
                ftp.set_pasv(self.passive)
                ftp.voidcmd("TYPE I")  # SIZE is refused in ASCII mode by some servers
                self._home = ftp.pwd()
        except BaseException:
            ftp.close()
            raise
        return ftp

    def _secure(self, ftp: _GuardedFtpTls) -> None:
        try:
            ftp.auth()
        except ftplib.error_perm as error:
            raise ConnectorError(
                f"{self.host} does not offer FTPS (explicit TLS) on port {self.port} (it said: "
                f"{remote_text(error, limit=120)}). Check the port, or ask whether the server "
                "offers SFTP instead."
            ) from error

    @contextmanager
    def _errors(self, *, action: str, folder: str, name: str | None = None) -> Iterator[None]:
        """Turn ftplib's errors into the connector error family, in words about this step."""
        try:
            yield
        except ftplib.error_perm as error:
            raise self._refusal(str(error), action=action, folder=folder, name=name) from error
        except ftplib.error_temp as error:
            raise TransientError(
                f"{self.host} could not {_doing(action, folder)} just now (it said: "
                f"{remote_text(error, limit=160)}). The hub will try again."
            ) from error
        except (ftplib.error_reply, ftplib.error_proto, EOFError) as error:
            raise TransientError(
                f"{self.host} answered in a way FTP does not allow, or closed the connection, "
                f"while the hub tried to {_doing(action, folder)}. The hub will try again."
            ) from error
        except ssl.SSLError as error:
            raise certificate_refused(error, host=self.host) from error
        except OSError as error:
            raise connection_failure(error, host=self.host, port=self.port) from error

    def _refusal(self, reply: str, *, action: str, folder: str, name: str | None) -> ConnectorError:
        said = remote_text(reply, limit=160)
        code = reply[:3]
        # At login any refusal is about the login: wrong password, TLS required, no such user.
        if code in ("530", "332") or action == LOGIN:
            return AuthError(
                f"{self.host} refused the login for {remote_text(self.username, limit=80)} (it "
                f"said: {said}). Check the user name and password in the settings and save them."
            )
        if code == "553" or any(word in reply.lower() for word in DENIED_WORDS):
            return PermissionDenied(
                f"{self.host} did not let the hub {action} {folder_shown(folder)}: permission "
                f"denied (it said: {said}). Ask the server's administrator to allow it for "
                f"the login {remote_text(self.username, limit=80)}, or choose another folder."
            )
        if code in ("550", "450") and name is not None:
            return FileMissing(
                f"{remote_text(name, limit=120)} is not in {folder_shown(folder)} on "
                f"{self.host} any more (it said: {said}); another program may have taken it."
            )
        if code in ("550", "450"):
            return FolderNotFound(
                f"{folder_shown(folder).capitalize()} was not found on {self.host}, or the "
                f"login may not open it (it said: {said}). Check the folder in the settings "
                "(a folder without a leading / is below the one the login starts in)."
            )
        if code == "552":
            return ConnectorError(f"{self.host} has no room for the file (it said: {said}).")
        return ConnectorError(f"{self.host} refused to {_doing(action, folder)}: {said}.")

    def _mlsd(self, ftp: ftplib.FTP) -> list[tuple[str, dict[str, str]]] | None:
        """The current folder's entries with their facts; None when the server has no MLSD."""
        try:
            return [
                (name, facts)
                for name, facts in ftp.mlsd(facts=["type", "size", "modify"])
                if name not in (".", "..")
            ]
        except ftplib.error_perm as error:
            if str(error)[:3] in UNKNOWN_COMMAND:
                return None
            raise

    def _nlst_names(self, ftp: ftplib.FTP) -> list[str]:
        try:
            names = ftp.nlst()
        except (ftplib.error_perm, ftplib.error_temp) as error:
            # Some servers answer an empty folder with "450/550 No files found".
            if "no files" in str(error).lower():
                return []
            raise
        return [posixpath.basename(name.rstrip("/")) for name in names if name not in (".", "..")]

    def _nlst_files(self, ftp: ftplib.FTP) -> list[RemoteFile]:
        files = []
        names = self._nlst_names(ftp)
        ftp.voidcmd("TYPE I")  # NLST left ASCII mode on, where SIZE is refused
        for name in names:
            try:
                size = ftp.size(name)
            except ftplib.error_perm:
                continue  # SIZE is refused for anything but a plain file: a folder
            try:
                modified = _moment(ftp.voidcmd(f"MDTM {name}")[4:].strip())
            except ftplib.error_perm:
                modified = None  # the server does not say; the file is still listed
            files.append(RemoteFile(name=name, size=size, modified=modified))
        return files

    def _names(self, folder: str) -> set[str]:
        ftp = self._connection()
        with self._errors(action="list the files in", folder=folder):
            ftp.cwd(self._absolute(folder))
            entries = self._mlsd(ftp)
            return (
                {name for name, _ in entries} if entries is not None else set(self._nlst_names(ftp))
            )

    def _upload(self, folder: str, path: str, data: bytes) -> None:
        ftp = self._connection()
        with self._errors(action="write a file in", folder=folder):
            ftp.storbinary(f"STOR {path}", io.BytesIO(data))

    def _rename(self, folder: str, source: str, target: str) -> None:
        ftp = self._connection()
        with self._errors(
            action="rename a file in", folder=folder, name=posixpath.basename(source)
        ):
            response = ftp.sendcmd(f"RNFR {source}")
            if response[0] != "3":
                raise ftplib.error_reply(response)  # noqa: S321  (ftplib's own reply error)
        to_folder = posixpath.dirname(target)
        with self._errors(action="move a file into", folder=to_folder):
            ftp.voidcmd(f"RNTO {target}")

    def _remove(self, path: str) -> None:
        ftp = self._connection()
        with self._errors(action="remove a file in", folder=posixpath.dirname(path)):
            ftp.delete(path)

    def _folder_make(self, folder: str) -> None:
        ftp = self._connection()
        target = self._absolute(folder)
        with self._errors(action="make", folder=folder):
            if self._enters(ftp, target):
                return
            current = "/" if target.startswith("/") else ""
            for part in filter(None, target.split("/")):
                current = posixpath.join(current, part)
                if not self._enters(ftp, current):
                    ftp.mkd(current)

    @staticmethod
    def _enters(ftp: ftplib.FTP, folder: str) -> bool:
        try:
            ftp.cwd(folder)
        except ftplib.error_perm:
            return False
        return True
