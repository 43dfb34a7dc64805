"""SFTP with paramiko over a socket the outbound guard opened; the host key pinned on first use."""

from __future__ import annotations

import errno
import io
import posixpath
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import paramiko

from integration_manager.connector_errors import AuthError, ConnectorError, TransientError
from integration_manager.http import remote_text
from integration_manager.outbound import guarded_connect
from integration_manager.redaction import register_secret_forms
from integration_manager.transports.base import (
    DEFAULT_TIMEOUT,
    FileMissing,
    FolderNotFound,
    FolderTransport,
    HostKeyChanged,
    PermissionDenied,
    RemoteFile,
    connection_failure,
    folder_check,
    folder_shown,
    name_check,
)

# Tried in this order; each reads both the OpenSSH and the older PEM form of its kind.
KEY_CLASSES: tuple[type[paramiko.PKey], ...] = (
    paramiko.Ed25519Key,
    paramiko.ECDSAKey,
    paramiko.RSAKey,
)
WRONG_PASSPHRASE = ("password", "checkints")
# The signature algorithms of an RSA host key all show it as "ssh-rsa".
RSA_ALGORITHMS = ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")


def host_key_text(key: paramiko.PKey) -> str:
    """A host key as the hub stores and shows it: "ssh-ed25519 SHA256:…" (OpenSSH's form)."""
    return f"{key.get_name()} {key.fingerprint}"


def private_key_load(text: str, passphrase: str = "") -> paramiko.PKey:
    """An SSH private key pasted as text (OpenSSH or PEM; Ed25519, ECDSA or RSA).

    AuthError says what is wrong: not a key, a passphrase needed, or the wrong passphrase.
    """
    # A key pasted from a browser comes with CRLF and stray blanks around it.
    text = "\n".join(line.strip() for line in text.strip().splitlines()) + "\n"
    for key_class in KEY_CLASSES:
        try:
            return key_class.from_private_key(io.StringIO(text), password=passphrase or None)
        except paramiko.PasswordRequiredException:
            raise AuthError(
                "The SSH private key is protected by a passphrase: type it in the settings."
            ) from None
        except (paramiko.SSHException, ValueError, TypeError) as error:
            # PEM keys say "bad password"; OpenSSH keys fail their check numbers.
            if passphrase and any(word in str(error).lower() for word in WRONG_PASSPHRASE):
                raise AuthError(
                    "The passphrase does not open the SSH private key. Type it again."
                ) from None
    raise AuthError(
        "The SSH private key could not be read. Paste the whole private key, from its "
        "-----BEGIN line to its -----END line (Ed25519, ECDSA or RSA)."
    )


def _key_family(algorithm: str) -> str:
    return "ssh-rsa" if algorithm in RSA_ALGORITHMS else algorithm


class SftpTransport(FolderTransport):
    """Files on an SFTP server, with a password or an SSH private key.

    The server's host key is pinned on first use: with known_host_key None the key seen is
    accepted and kept in host_key_seen ("ssh-ed25519 SHA256:…") for the caller to store and
    show; with a known_host_key, any other key is refused (HostKeyChanged, an AuthError)
    before the password or key is used. Renames never replace a file (SFTP's own rename).
    """

    protocol = "sftp"
    label = "SFTP"

    def __init__(
        self,
        *,
        host: str,
        port: int = 22,
        username: str,
        password: str = "",
        private_key: str = "",
        private_key_passphrase: str = "",
        known_host_key: str | None = None,
        folder: str = "",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(host=host, port=port, username=username, folder=folder)
        for secret in (password, private_key, private_key_passphrase):
            register_secret_forms(secret)
        self._password = password
        self._private_key = private_key
        self._passphrase = private_key_passphrase
        self.known_host_key = " ".join((known_host_key or "").split()) or None
        self.host_key_seen: str | None = None
        self.timeout = timeout
        self._transport: paramiko.Transport | None = None
        self._sftp: paramiko.SFTPClient | None = None

    def test(self) -> str:
        found = super().test()
        if self.known_host_key is None:
            return (
                f"{found} Host key {self.host_key_seen}: new; the hub keeps it and refuses any "
                "other key from now on."
            )
        return f"{found} Host key {self.host_key_seen}: the one saved."

    def close(self) -> None:
        sftp, transport = self._sftp, self._transport
        self._sftp = self._transport = None
        if sftp is not None:
            sftp.close()
        if transport is not None:
            transport.close()

    def list(self, folder: str) -> list[RemoteFile]:
        folder_check(folder)
        sftp = self._connection()
        with self._errors(action="list the files in", folder=folder):
            entries = sftp.listdir_attr(folder or ".")
        return [
            RemoteFile(
                name=entry.filename,
                size=entry.st_size,
                modified=None
                if entry.st_mtime is None
                else datetime.fromtimestamp(entry.st_mtime, tz=UTC),
            )
            for entry in entries
            if entry.st_mode is None or stat.S_ISREG(entry.st_mode)
        ]

    def read(self, folder: str, name: str) -> bytes:
        name_check(name)
        sftp = self._connection()
        buffer = io.BytesIO()
        with self._errors(action="read a file in", folder=folder, name=name):
            sftp.getfo(self.path(folder, name), buffer)
        return buffer.getvalue()

    def _connection(self) -> paramiko.SFTPClient:
        if self._sftp is None:
            self._sftp = self._open()
        return self._sftp

    def _open(self) -> paramiko.SFTPClient:
        try:
            sock = guarded_connect(self.host, self.port, timeout=self.timeout)
        except OSError as error:
            raise connection_failure(error, host=self.host, port=self.port) from error
        transport = paramiko.Transport(sock)
        try:
            self._handshake(transport)
            self._login(transport)
            sftp = self._subsystem(transport)
        except BaseException:
            transport.close()
            raise
        self._transport = transport
        return sftp

    def _handshake(self, transport: paramiko.Transport) -> None:
        transport.banner_timeout = transport.handshake_timeout = self.timeout
        transport.auth_timeout = self.timeout
        if self.known_host_key:
            # Ask for the pinned kind of key only: a server that also has another kind
            # would otherwise be "changed" when it prefers that one.
            options = transport.get_security_options()
            pinned = self.known_host_key.split(" ", 1)[0]
            kinds = [kind for kind in options.key_types if _key_family(kind) == pinned]
            if kinds:
                options.key_types = kinds
        try:
            transport.start_client(timeout=self.timeout)
        except paramiko.IncompatiblePeer as error:
            if self.known_host_key:
                raise self._key_changed("no longer offers that kind of key") from error
            raise self._no_handshake() from error
        except (paramiko.SSHException, EOFError, OSError) as error:
            raise self._no_handshake() from error
        self.host_key_seen = host_key_text(transport.get_remote_server_key())
        if self.known_host_key and self.host_key_seen != self.known_host_key:
            raise self._key_changed(f"shows {self.host_key_seen}")

    def _no_handshake(self) -> TransientError:
        return TransientError(
            f"{self.host} did not complete an SSH handshake on port {self.port}. Check that "
            "this port serves SFTP (usually 22); the hub will try again."
        )

    def _key_changed(self, seen: str) -> HostKeyChanged:
        return HostKeyChanged(
            f"The host key of {self.host} changed: the hub saved {self.known_host_key}, and the "
            f"server now {seen}. Nothing was sent. Accept the new key in the settings only if "
            "the server's administrator confirms the server really changed; otherwise someone "
            "may be between the hub and the server."
        )

    def _login(self, transport: paramiko.Transport) -> None:
        method = "SSH key" if self._private_key else "password"
        try:
            if self._private_key:
                key = private_key_load(self._private_key, self._passphrase)
                transport.auth_publickey(self.username, key)
            else:
                transport.auth_password(self.username, self._password)
        except paramiko.BadAuthenticationType as error:
            allowed = ", ".join(error.allowed_types) or "nothing the hub offers"
            raise AuthError(
                f"{self.host} does not take {method} logins (it takes: {allowed}). "
                f"{'Type a password' if self._private_key else 'Paste an SSH private key'} "
                "in the settings instead."
            ) from error
        except paramiko.AuthenticationException as error:
            raise AuthError(
                f"{self.host} refused the login for {remote_text(self.username, limit=80)}. "
                f"Check the user name and {method} in the settings and save them again."
            ) from error
        except (paramiko.SSHException, EOFError, OSError) as error:
            raise TransientError(
                f"The connection to {self.host} was cut during the login. The hub will try again."
            ) from error

    def _subsystem(self, transport: paramiko.Transport) -> paramiko.SFTPClient:
        try:
            sftp = paramiko.SFTPClient.from_transport(transport)
        except (paramiko.SSHException, EOFError, OSError) as error:
            raise self._no_sftp() from error
        if sftp is None:
            raise self._no_sftp()
        sftp.get_channel().settimeout(self.timeout)
        return sftp

    def _no_sftp(self) -> ConnectorError:
        return ConnectorError(
            f"{self.host} accepted the login but offers no SFTP (it may allow a shell or SCP "
            "only). Ask its administrator to enable SFTP for this login."
        )

    @contextmanager
    def _errors(self, *, action: str, folder: str, name: str | None = None) -> Iterator[None]:
        """Turn SFTP's status codes (as paramiko raises them) into the connector error family."""
        try:
            yield
        except FileNotFoundError as error:
            raise self._missing(folder, name) from error
        except PermissionError as error:
            raise PermissionDenied(
                f"{self.host} did not let the hub {action} {folder_shown(folder)}: permission "
                "denied. Ask the server's administrator to allow it for the login "
                f"{remote_text(self.username, limit=80)}, or choose another folder."
            ) from error
        except TimeoutError as error:
            raise TransientError(
                f"{self.host} stopped answering while the hub tried to {action} "
                f"{folder_shown(folder)}. The hub will try again."
            ) from error
        except OSError as error:
            if error.errno is not None and error.errno != errno.EIO:
                raise connection_failure(error, host=self.host, port=self.port) from error
            # SFTP's plain "failure" status: the server's own words say what went wrong.
            raise ConnectorError(
                f"{self.host} could not {action} {folder_shown(folder)} (it said: "
                f"{remote_text(error.strerror or error, limit=160)})."
            ) from error
        except (paramiko.SSHException, EOFError) as error:
            raise TransientError(
                f"The connection to {self.host} was cut. The hub will try again."
            ) from error

    def _missing(self, folder: str, name: str | None) -> ConnectorError:
        if name is not None and self._folder_exists(folder):
            return FileMissing(
                f"{remote_text(name, limit=120)} is not in {folder_shown(folder)} on "
                f"{self.host} any more; another program may have taken it."
            )
        return FolderNotFound(
            f"{folder_shown(folder).capitalize()} was not found on {self.host}. Check the "
            "folder in the settings (a folder without a leading / is below the one the login "
            "starts in), or create it on the server."
        )

    def _folder_exists(self, folder: str) -> bool:
        try:
            attributes = self._connection().stat(folder or ".")
        except OSError:
            return False
        return attributes.st_mode is None or stat.S_ISDIR(attributes.st_mode)

    def _names(self, folder: str) -> set[str]:
        sftp = self._connection()
        with self._errors(action="list the files in", folder=folder):
            return set(sftp.listdir(folder or "."))

    def _upload(self, folder: str, path: str, data: bytes) -> None:
        sftp = self._connection()
        with self._errors(action="write a file in", folder=folder):
            # "x": create a new file only, so even two writers with the same temporary name
            # could not write into one file.
            with sftp.open(path, "wxb") as remote:
                remote.set_pipelined(True)
                remote.write(data)
            written = sftp.stat(path).st_size
        if written != len(data):
            raise TransientError(
                f"{self.host} kept {written} of {len(data)} bytes of the file. The hub will "
                "try again."
            )

    def _rename(self, folder: str, source: str, target: str) -> None:
        sftp = self._connection()
        with self._errors(
            action="move a file from", folder=folder, name=posixpath.basename(source)
        ):
            sftp.rename(source, target)

    def _remove(self, path: str) -> None:
        sftp = self._connection()
        with self._errors(action="remove a file in", folder=posixpath.dirname(path)):
            sftp.remove(path)

    def _folder_make(self, folder: str) -> None:
        if not folder or self._folder_exists(folder):
            return
        sftp = self._connection()
        current = "/" if folder.startswith("/") else ""
        for part in filter(None, folder.split("/")):
            current = posixpath.join(current, part)
            if not self._folder_exists(current):
                with self._errors(action="make", folder=current):
                    sftp.mkdir(current)
