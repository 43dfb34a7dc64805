"""File transports (FTP, FTPS, SFTP, send-only e-mail) behind one interface, through the guard."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from integration_manager.connector_errors import ConnectorError
from integration_manager.transports.base import (
    DEFAULT_TIMEOUT,
    FileExists,
    FileMissing,
    FileTransport,
    FolderNotFound,
    FolderTransport,
    HostKeyChanged,
    PermissionDenied,
    RemoteFile,
)
from integration_manager.transports.email import EmailTransport
from integration_manager.transports.ftp import FtpTransport
from integration_manager.transports.hosts import default_port, host_check
from integration_manager.transports.sftp import SftpTransport

__all__ = [
    "PROTOCOLS",
    "TRANSPORT_ADDRESS_FIELDS",
    "TRANSPORT_SECRET_FIELDS",
    "EmailTransport",
    "FileExists",
    "FileMissing",
    "FileTransport",
    "FolderNotFound",
    "FolderTransport",
    "FtpTransport",
    "HostKeyChanged",
    "PermissionDenied",
    "RemoteFile",
    "SftpTransport",
    "host_check",
    "recipients_split",
    "transport_for",
]

PROTOCOLS = {
    "sftp": "SFTP (SSH)",
    "ftps": "FTPS (FTP with TLS)",
    "ftp": "FTP (unencrypted)",
    "email": "E-mail (send only)",
}
# A connector that uses a transport declares these as its secret_fields and address_fields:
# changing where the server is clears the saved password and key (docs/security.md).
TRANSPORT_SECRET_FIELDS = ("password", "private_key", "private_key_passphrase")
TRANSPORT_ADDRESS_FIELDS = ("protocol", "host", "port")


def recipients_split(value: str | list[str] | tuple[str, ...]) -> list[str]:
    """E-mail recipients from a list or from text separated by commas, semicolons or spaces."""
    if isinstance(value, str):
        value = re.split(r"[,;\s]+", value)
    return [address.strip() for address in value if address and address.strip()]


def transport_for(settings: Mapping[str, Any], secrets: Mapping[str, str]) -> FileTransport:
    """The transport a connection's settings and secrets describe.

    Settings keys (docs/wms/csv.md, "Transports"; TransportSettingsForm makes them):

    - protocol: "ftp", "ftps" (explicit TLS), "sftp" or "email" (send-only)
    - host: the server's name or address (host_check in the form)
    - port: blank for the protocol's own (21, 21, 22; e-mail 587, or 465 with "ssl")
    - username: the login (optional for e-mail: blank sends without a login)
    - folder: the folder test() looks in ("" is the folder the login starts in)
    - passive: FTP and FTPS, passive mode (the default); False for active mode
    - tls_fingerprint: FTPS and e-mail, a self-signed certificate trusted by its SHA-256
    - host_key: SFTP, the host key pinned on first use ("" until a connection saw one)
    - security: e-mail, "starttls" (the default) or "ssl"
    - sender, recipients (a list, or addresses separated by commas), subject ("{name}" in it
      becomes the file name; blank: the file name alone): e-mail
    - timeout: seconds for connecting and for each answer (default 30)

    Secrets: password, private_key (SFTP, the key's text), private_key_passphrase.

    Nothing connects until the first call. Raises ConnectorError for settings that cannot
    work (no host, an unknown protocol). The caller stores an SFTP transport's host_key_seen
    in settings["host_key"] after its first successful connection, and shows it.
    """
    protocol = str(settings.get("protocol") or "")
    build = _BUILDERS.get(protocol)
    if build is None:
        raise ConnectorError("Choose how files travel (SFTP, FTPS, FTP or e-mail) in the settings.")
    host = str(settings.get("host") or "").strip()
    if not host:
        raise ConnectorError("Type the server's name in the settings.")
    common = {
        "host": host,
        "port": int(settings.get("port") or default_port(protocol, settings.get("security", ""))),
        "username": str(settings.get("username") or ""),
        "password": secrets.get("password", ""),
        "timeout": float(settings.get("timeout") or DEFAULT_TIMEOUT),
    }
    return build(protocol, settings, secrets, common)


def _ftp(
    protocol: str, settings: Mapping[str, Any], secrets: Mapping[str, str], common: dict[str, Any]
) -> FileTransport:
    return FtpTransport(
        **common,
        passive=bool(settings.get("passive", True)),
        tls=protocol == "ftps",
        tls_fingerprint=str(settings.get("tls_fingerprint") or ""),
        folder=str(settings.get("folder") or ""),
    )


def _sftp(
    protocol: str, settings: Mapping[str, Any], secrets: Mapping[str, str], common: dict[str, Any]
) -> FileTransport:
    return SftpTransport(
        **common,
        private_key=secrets.get("private_key", ""),
        private_key_passphrase=secrets.get("private_key_passphrase", ""),
        known_host_key=str(settings.get("host_key") or "") or None,
        folder=str(settings.get("folder") or ""),
    )


def _email(
    protocol: str, settings: Mapping[str, Any], secrets: Mapping[str, str], common: dict[str, Any]
) -> FileTransport:
    return EmailTransport(
        **common,
        security=str(settings.get("security") or "starttls"),
        sender=str(settings.get("sender") or ""),
        recipients=recipients_split(settings.get("recipients") or ""),
        subject=str(settings.get("subject") or "{name}"),
        tls_fingerprint=str(settings.get("tls_fingerprint") or ""),
    )


_BUILDERS: dict[str, Callable[..., FileTransport]] = {
    "ftp": _ftp,
    "ftps": _ftp,
    "sftp": _sftp,
    "email": _email,
}
