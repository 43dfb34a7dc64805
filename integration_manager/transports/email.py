"""Send-only e-mail: each file written goes out as an attachment over SMTP, through the guard."""

from __future__ import annotations

import logging
import mimetypes
import smtplib
import socket
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from integration_manager.connector_errors import AuthError, ConnectorError, TransientError
from integration_manager.http import remote_text
from integration_manager.outbound import guarded_connect
from integration_manager.redaction import register_secret_forms
from integration_manager.text import single_line
from integration_manager.transports.base import (
    DEFAULT_TIMEOUT,
    FileTransport,
    RemoteFile,
    connection_failure,
    name_check,
)
from integration_manager.transports.tls import (
    certificate_refused,
    client_context,
    fingerprint_normalize,
    pin_check,
)

logger = logging.getLogger(__name__)

SECURITY = {"starttls": "SMTP with STARTTLS", "ssl": "SMTP over SSL"}


class _GuardedSmtp(smtplib.SMTP):
    """smtplib's client, connected through the outbound guard."""

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return guarded_connect(host, port, timeout=timeout, source_address=self.source_address)


class _GuardedSmtpSsl(smtplib.SMTP_SSL, _GuardedSmtp):
    """SMTP over SSL (port 465): SMTP_SSL wraps the guarded socket from _GuardedSmtp."""


def _reply(error: smtplib.SMTPResponseException) -> str:
    text = error.smtp_error
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return remote_text(f"{error.smtp_code} {said}", limit=160)


class EmailTransport(FileTransport):
    """Files sent as e-mail attachments, one message per file, to fixed recipients.

    Send-only: list() is always empty and read() and move() raise, because the hub does not
    pick files up from a mailbox; shipment and inventory files need FTP, FTPS or SFTP.
    SMTP with STARTTLS (port 587) or over SSL (port 465); the login and the file only ever
    travel encrypted, the certificate verified or pinned by fingerprint. No login when
    username is blank (a relay that knows the hub by its address).
    """

    protocol = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int = 587,
        username: str = "",
        password: str = "",
        security: str = "starttls",
        sender: str,
        recipients: Sequence[str],
        subject: str = "{name}",
        tls_fingerprint: str = "",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(host=host, port=port, username=username)
        if security not in SECURITY:
            raise ConnectorError("Choose STARTTLS or SSL for the e-mail server's security.")
        if not sender or not recipients:
            raise ConnectorError("Type the sender and at least one recipient of the e-mails.")
        register_secret_forms(password)
        self._password = password
        self.security = security
        self.label = SECURITY[security]
        self.sender = sender
        self.recipients = list(recipients)
        self.subject = subject or "{name}"
        self.tls_fingerprint = fingerprint_normalize(tls_fingerprint)
        self.timeout = timeout

    def test(self) -> str:
        with self._session():
            pass
        login = f" and logged in as {remote_text(self.username, limit=80)}" if self.username else ""
        return (
            f"Connected to {self.host} ({self.label}){login}; files go to "
            f"{', '.join(self.recipients)} as attachments. E-mail only sends: shipment and "
            "inventory files cannot be picked up from it."
        )

    def list(self, folder: str) -> list[RemoteFile]:
        """Always empty: e-mail is send-only, nothing is picked up from a mailbox."""
        return []

    def read(self, folder: str, name: str) -> bytes:
        raise self._send_only()

    def move(self, folder: str, name: str, to_folder: str) -> str:
        raise self._send_only()

    def write_atomic(self, folder: str, name: str, data: bytes) -> None:
        """Send the file as one message's attachment (folder is not used): a message arrives
        whole or not at all, which is what atomic means for e-mail."""
        message = self.message_make(name_check(name), data)
        with self._session() as smtp, self._errors():
            refused = smtp.send_message(message)
        if refused:
            # The others have the file already: sending again would give them a second copy.
            logger.warning("%s refused %s of the recipients of %s", self.host, len(refused), name)

    def close(self) -> None:
        """Nothing to close: each message has its own connection."""

    def message_make(self, name: str, data: bytes) -> EmailMessage:
        """The message that carries one file."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message["Subject"] = single_line(self.subject.replace("{name}", name))
        message["Date"] = formatdate(usegmt=True)
        # The sender's domain, not this machine's name: getfqdn() can wait on DNS.
        message["Message-ID"] = make_msgid(domain=self.sender.rsplit("@", 1)[-1])
        message.set_content(f"The file {name} is attached.\n\nSent by the integration hub.\n")
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        maintype, subtype = kind.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
        return message

    def _send_only(self) -> ConnectorError:
        return ConnectorError(
            "E-mail connections only send files; the hub cannot pick files up from a mailbox. "
            "Use FTP, FTPS or SFTP for shipment and inventory files."
        )

    @contextmanager
    def _session(self) -> Iterator[smtplib.SMTP]:
        """A connection that is encrypted and logged in, closed afterwards."""
        context = client_context(self.tls_fingerprint)
        with self._errors():
            if self.security == "ssl":
                smtp: smtplib.SMTP = _GuardedSmtpSsl(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                smtp = _GuardedSmtp(self.host, self.port, timeout=self.timeout)
        try:
            with self._errors():
                self._secure(smtp, context)
                self._login(smtp)
            yield smtp
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()  # the server went first; closing our end is all that is left

    def _secure(self, smtp: smtplib.SMTP, context: ssl.SSLContext) -> None:
        if self.security == "starttls":
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise ConnectorError(
                    f"{self.host} does not offer STARTTLS on port {self.port}, and the hub "
                    "sends logins and files only encrypted. Choose SSL if this is the server's "
                    "port 465 kind, or check the port."
                )
            smtp.starttls(context=context)
        pin_check(smtp.sock, self.tls_fingerprint, host=self.host)  # type: ignore[arg-type]
        smtp.ehlo()

    def _login(self, smtp: smtplib.SMTP) -> None:
        if not self.username:
            return
        if not smtp.has_extn("auth"):
            raise ConnectorError(
                f"{self.host} does not offer a login on port {self.port}. Leave the user name "
                "blank if the server takes the hub's mail without one, or check the port."
            )
        smtp.login(self.username, self._password)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """smtplib's errors as the connector error family (its errors are OSErrors too)."""
        try:
            yield
        except smtplib.SMTPAuthenticationError as error:
            raise AuthError(
                f"{self.host} refused the login for {remote_text(self.username, limit=80)} "
                f"(it said: {_reply(error)}). Check the user name and password in the settings "
                "and save them again."
            ) from error
        except smtplib.SMTPSenderRefused as error:
            raise ConnectorError(
                f"{self.host} refused the sender {remote_text(self.sender, limit=80)} (it said: "
                f"{_reply(error)}). Many servers send only from the login's own address."
            ) from error
        except smtplib.SMTPResponseException as error:
            raise self._refusal(error) from error
        except smtplib.SMTPRecipientsRefused as error:
            raise ConnectorError(
                f"{self.host} refused every recipient ({', '.join(error.recipients)}). Check the "
                "addresses in the settings."
            ) from error
        except smtplib.SMTPException as error:
            raise self._cut(error) from error
        except ssl.SSLError as error:
            raise certificate_refused(error, host=self.host) from error
        except OSError as error:
            raise connection_failure(error, host=self.host, port=self.port) from error

    def _refusal(self, error: smtplib.SMTPResponseException) -> ConnectorError:
        if 400 <= error.smtp_code < 500:
            return TransientError(
                f"{self.host} could not take the message just now (it said: {_reply(error)}). "
                "The hub will try again."
            )
        return ConnectorError(f"{self.host} refused the message (it said: {_reply(error)}).")

    def _cut(self, error: Any) -> ConnectorError:
        if isinstance(error, smtplib.SMTPServerDisconnected):
            return TransientError(f"The connection to {self.host} was cut. The hub will try again.")
        return ConnectorError(f"{self.host} did not take the message: {remote_text(error)}.")
