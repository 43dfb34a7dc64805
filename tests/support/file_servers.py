"""Real FTP, FTPS, SFTP and SMTP servers on 127.0.0.1 for the file transport tests."""

from __future__ import annotations

import datetime
import io
import ipaddress
import logging
import os
import posixpath
import socket
import ssl
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import paramiko
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.filesystems import AbstractedFS
from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
from pyftpdlib.servers import ThreadedFTPServer

from integration_manager.transports.tls import fingerprint_of

# The servers' own chatter (every command they get) is not what a failing test needs.
logging.getLogger("pyftpdlib").setLevel(logging.WARNING)
logging.getLogger("mail.log").setLevel(logging.WARNING)

# How long a server thread waits for a test to let a held upload go on: a test that forgot
# would otherwise hang the run. Not a timing assertion; nothing is measured.
GATE_LIMIT = 30.0


# --- certificates ---------------------------------------------------------------------


@dataclass(frozen=True)
class Certificate:
    """A certificate and its key in PEM files, with its SHA-256 fingerprint (AB:CD:…)."""

    certificate_path: Path
    key_path: Path
    fingerprint: str
    subject: x509.Name
    key: ec.EllipticCurvePrivateKey

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certificate_path, self.key_path)
        return context


def certificate_make(
    folder: Path,
    name: str,
    *,
    issuer: Certificate | None = None,
    authority: bool = False,
    hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
) -> Certificate:
    """A server certificate for hosts: self-signed, or signed by issuer; or (with authority)
    a certificate authority that signs others."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=authority, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    if authority:
        builder = builder.add_extension(_authority_usage(), critical=True)
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([_alternative_name(host) for host in hosts]),
            critical=False,
        )
    certificate = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    certificate_path, key_path = folder / f"{name}.crt", folder / f"{name}.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(
        certificate_path=certificate_path,
        key_path=key_path,
        fingerprint=fingerprint_of(certificate.public_bytes(serialization.Encoding.DER)),
        subject=subject,
        key=key,
    )


def _alternative_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _authority_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


# --- holding an upload half-way -------------------------------------------------------


class Gate:
    """Holds the next upload after its first bytes are written, until the test releases it:
    what a slow upload looks like to a reader, without waiting on a clock."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()

    def hold(self) -> None:
        if self.reached.is_set():
            return
        self.reached.set()
        if not self.release.wait(GATE_LIMIT):
            raise RuntimeError("the test never released the held upload")


# --- FTP and FTPS (pyftpdlib) ---------------------------------------------------------


class _HeldFile:
    """A file being uploaded that waits at the server's gate after its first write."""

    def __init__(self, file: Any, gate: Gate) -> None:
        self._file = file
        self._gate = gate

    def write(self, chunk: bytes) -> int:
        written = self._file.write(chunk)
        self._file.flush()
        self._gate.hold()
        return written

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


class _OwnThreadedFTPServer(ThreadedFTPServer):
    # pyftpdlib keeps the stop event and lock on the class: two servers would stop each other.
    poll_timeout = 0.1

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._exit = threading.Event()
        self._lock = threading.Lock()
        super().__init__(*args, **kwargs)


class FtpServer:
    """pyftpdlib serving a folder: FTP, or FTPS (AUTH TLS required, PROT P required) with the
    given certificate. Each thread serves one connection, so a held upload holds only its own.

    read_only: folders (relative to root) where the users may list and read but not write.
    mlsd=False leaves MLSD out, as vsftpd does. masquerade: the address PASV replies name.
    """

    def __init__(
        self,
        root: Path,
        *,
        users: dict[str, str],
        read_only: Iterable[str] = (),
        certificate: Certificate | None = None,
        mlsd: bool = True,
        masquerade: str | None = None,
    ) -> None:
        self.root = root
        self.gate: Gate | None = None
        self.connections = 0
        self.logins = 0
        authorizer = _CountingAuthorizer(self)
        for username, password in users.items():
            authorizer.add_user(username, password, str(root), perm="elradfmwMT")
            for folder in read_only:
                authorizer.override_perm(username, str(root / folder), perm="elr", recursive=True)
        handler = self._handler(authorizer, certificate, mlsd, masquerade)
        self.server = _OwnThreadedFTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.socket.getsockname()[1]
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _handler(
        self,
        authorizer: DummyAuthorizer,
        certificate: Certificate | None,
        mlsd: bool,
        masquerade: str | None,
    ) -> type[FTPHandler]:
        owner = self
        base: type[FTPHandler] = TLS_FTPHandler if certificate else FTPHandler

        class Files(AbstractedFS):
            def open(self, filename: str, mode: str) -> Any:
                file = super().open(filename, mode)
                if "w" in mode and owner.gate is not None:
                    return _HeldFile(file, owner.gate)
                return file

        class Handler(base):  # type: ignore[valid-type,misc]
            def on_connect(self) -> None:
                owner.connections += 1

        Handler.authorizer = authorizer
        Handler.abstracted_fs = Files
        Handler.banner = "test FTP server ready"
        Handler.auth_failed_timeout = 0  # pyftpdlib waits 3 s after a wrong password
        if masquerade:
            Handler.masquerade_address = masquerade
        if not mlsd:
            Handler.proto_cmds = {
                name: value
                for name, value in FTPHandler.proto_cmds.items()
                if name not in ("MLSD", "MLST")
            }
        if certificate:
            Handler.certfile = str(certificate.certificate_path)
            Handler.keyfile = str(certificate.key_path)
            Handler.tls_control_required = True
            Handler.tls_data_required = True
        return Handler

    def _serve(self) -> None:
        while not self._stopping.is_set():
            self.server.serve_forever(timeout=0.05, blocking=False, handle_exit=False)
        self.server.close_all()

    def __enter__(self) -> FtpServer:
        self._thread.start()
        return self

    def __exit__(self, *exception: object) -> None:
        if self.gate is not None:
            self.gate.release.set()
        self._stopping.set()
        self._thread.join(10)


class _CountingAuthorizer(DummyAuthorizer):
    def __init__(self, owner: FtpServer) -> None:
        super().__init__()
        self.owner = owner

    def validate_authentication(self, username: str, password: str, handler: Any) -> None:
        self.owner.logins += 1
        super().validate_authentication(username, password, handler)


# --- SFTP (paramiko's server side) -------------------------------------------------------


class _Logins(paramiko.ServerInterface):
    def __init__(self, owner: SftpServer) -> None:
        self.owner = owner

    def get_allowed_auths(self, username: str) -> str:
        return self.owner.auths

    def check_auth_password(self, username: str, password: str) -> int:
        self.owner.logins += 1
        if "password" in self.owner.auths and self.owner.users.get(username) == password:
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        allowed = self.owner.keys.get(username, ())
        if "publickey" in self.owner.auths and key.get_base64() in allowed:
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


class _Handle(paramiko.SFTPHandle):
    def __init__(self, flags: int, path: str, gate: Gate | None) -> None:
        super().__init__(flags)
        self.path = path
        self.gate = gate

    def stat(self) -> paramiko.SFTPAttributes | int:
        try:
            return paramiko.SFTPAttributes.from_stat(os.fstat(self.readfile.fileno()))
        except OSError as error:
            return paramiko.SFTPServer.convert_errno(error.errno)

    def write(self, offset: int, data: bytes) -> int:
        result = super().write(offset, data)
        self.writefile.flush()
        if self.gate is not None:
            self.gate.hold()
        return result


class _Files(paramiko.SFTPServerInterface):
    """A folder served over SFTP as a real server would: "/" is the login folder, renames
    never replace a file (like OpenSSH), and read-only folders refuse writes."""

    def __init__(self, server: paramiko.ServerInterface, owner: SftpServer) -> None:
        super().__init__(server)
        self.owner = owner

    def _real(self, path: str) -> str:
        inside = posixpath.normpath(posixpath.join("/", path)).lstrip("/")
        return os.path.join(self.owner.root, inside)

    def _writable(self, path: str) -> bool:
        folder = os.path.dirname(self._real(path))
        return not any(
            folder == str(self.owner.root / read_only)
            or folder.startswith(str(self.owner.root / read_only) + os.sep)
            for read_only in self.owner.read_only
        )

    def canonicalize(self, path: str) -> str:
        return posixpath.normpath(posixpath.join("/", path))

    def list_folder(self, path: str) -> list[paramiko.SFTPAttributes] | int:
        real = self._real(path)
        try:
            entries = []
            for name in os.listdir(real):
                attributes = paramiko.SFTPAttributes.from_stat(os.stat(os.path.join(real, name)))
                attributes.filename = name
                entries.append(attributes)
            return entries
        except OSError as error:
            return paramiko.SFTPServer.convert_errno(error.errno)

    def stat(self, path: str) -> paramiko.SFTPAttributes | int:
        try:
            return paramiko.SFTPAttributes.from_stat(os.stat(self._real(path)))
        except OSError as error:
            return paramiko.SFTPServer.convert_errno(error.errno)

    lstat = stat

    def open(self, path: str, flags: int, attr: paramiko.SFTPAttributes) -> Any:
        writing = flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
        if writing and not self._writable(path):
            return paramiko.SFTP_PERMISSION_DENIED
        try:
            descriptor = os.open(self._real(path), flags, 0o644)
        except OSError as error:
            return paramiko.SFTPServer.convert_errno(error.errno)
        handle = _Handle(flags, path, self.owner.gate if writing else None)
        mode = "wb" if flags & os.O_WRONLY else ("r+b" if flags & os.O_RDWR else "rb")
        handle.readfile = handle.writefile = os.fdopen(descriptor, mode)
        return handle

    def remove(self, path: str) -> int:
        return self._change(path, lambda: os.remove(self._real(path)))

    def rename(self, oldpath: str, newpath: str) -> int:
        if os.path.exists(self._real(newpath)):
            return paramiko.SFTP_FAILURE  # SSH_FXP_RENAME never replaces a file
        if not self._writable(oldpath):
            return paramiko.SFTP_PERMISSION_DENIED
        return self._change(newpath, lambda: os.rename(self._real(oldpath), self._real(newpath)))

    def mkdir(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        return self._change(path, lambda: os.mkdir(self._real(path)))

    def rmdir(self, path: str) -> int:
        return self._change(path, lambda: os.rmdir(self._real(path)))

    def chattr(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        return paramiko.SFTP_OK

    def _change(self, path: str, change: Any) -> int:
        if not self._writable(path):
            return paramiko.SFTP_PERMISSION_DENIED
        try:
            change()
        except OSError as error:
            return paramiko.SFTPServer.convert_errno(error.errno)
        return paramiko.SFTP_OK


class SftpServer:
    """An SSH server (paramiko's server side) serving root over SFTP on 127.0.0.1.

    users: passwords by user name; keys: public keys (base64) a user may log in with;
    auths: the login methods offered ("password,publickey"); read_only: folders (relative
    to root) that refuse writes. host_key can be swapped between connections;
    other_host_keys are more keys of other kinds, as servers often have.
    """

    def __init__(
        self,
        root: Path,
        *,
        users: dict[str, str],
        keys: dict[str, list[str]] | None = None,
        host_key: paramiko.PKey | None = None,
        other_host_keys: Iterable[paramiko.PKey] = (),
        read_only: Iterable[str] = (),
        auths: str = "password,publickey",
    ) -> None:
        self.root = root
        self.other_host_keys = list(other_host_keys)
        self.users = users
        self.keys = keys or {}
        self.host_key = host_key or host_key_make()
        self.read_only = list(read_only)
        self.auths = auths
        self.gate: Gate | None = None
        self.connections = 0
        self.logins = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._transports: list[paramiko.Transport] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return  # the listener was closed: the server stops
            self.connections += 1
            transport = paramiko.Transport(connection)
            for key in (self.host_key, *self.other_host_keys):
                transport.add_server_key(key)
            transport.set_subsystem_handler("sftp", paramiko.SFTPServer, _Files, self)
            self._transports.append(transport)
            transport.start_server(event=threading.Event(), server=_Logins(self))

    def __enter__(self) -> SftpServer:
        self._thread.start()
        return self

    def __exit__(self, *exception: object) -> None:
        if self.gate is not None:
            self.gate.release.set()
        self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept(); close() alone does not
        self._listener.close()
        self._thread.join(10)
        for transport in self._transports:
            transport.close()


def ssh_key_make(kind: str = "ed25519", passphrase: str = "") -> str:
    """A new SSH private key as OpenSSH text: "ed25519", "ecdsa" or "rsa"; encrypted with a
    passphrase when one is given."""
    private: Any
    if kind == "ed25519":
        private = ed25519.Ed25519PrivateKey.generate()
    elif kind == "ecdsa":
        private = ec.generate_private_key(ec.SECP256R1())
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, encryption
    ).decode()


def host_key_make(kind: str = "ed25519") -> paramiko.PKey:
    """A server's host key of that kind, as paramiko's server side takes it."""
    key_class = {"ed25519": paramiko.Ed25519Key, "ecdsa": paramiko.ECDSAKey}.get(
        kind, paramiko.RSAKey
    )
    return key_class.from_private_key(io.StringIO(ssh_key_make(kind)))


# --- SMTP (aiosmtpd) ------------------------------------------------------------------


@dataclass
class ReceivedMail:
    mail_from: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class _Mailbox:
    owner: SmtpServer
    received: list[ReceivedMail] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.received.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class _Controller(Controller):
    """aiosmtpd's controller on a free port (it wants one named; port 0 is read back)."""

    def __init__(self, owner: SmtpServer, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner = owner

    def factory(self) -> Any:
        self.owner.connections += 1
        return super().factory()

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    """aiosmtpd on 127.0.0.1 that keeps every message; STARTTLS required before the login
    (or SSL from the start, with implicit_tls; no TLS at all without a certificate), and
    logins checked against users."""

    def __init__(
        self,
        *,
        users: dict[str, str],
        certificate: Certificate | None,
        implicit_tls: bool = False,
    ) -> None:
        self.users = users
        self.logins = 0
        self.connections = 0
        self.mailbox = _Mailbox(self)
        tls: dict[str, Any] = {}
        if certificate is not None:
            context = certificate.server_context()
            tls = {"ssl_context": context} if implicit_tls else {"tls_context": context}
        self.controller = _Controller(
            self,
            self.mailbox,
            hostname="127.0.0.1",
            port=0,
            require_starttls=certificate is not None and not implicit_tls,
            authenticator=self._authenticate,
            # aiosmtpd counts only STARTTLS as TLS; over implicit TLS every byte is encrypted.
            auth_require_tls=not implicit_tls,
            **tls,
        )

    @property
    def received(self) -> list[ReceivedMail]:
        return self.mailbox.received

    @property
    def port(self) -> int:
        return self.controller.port

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        self.logins += 1
        if isinstance(data, LoginPassword):
            username = data.login.decode()
            if self.users.get(username) == data.password.decode():
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        self.connections = 0  # the controller's own check that it started is not a client
        return self

    def __exit__(self, *exception: object) -> None:
        self.controller.stop()
