"""A real SMTP server on loopback (aiosmtpd) that Django's SMTP backend sends alert e-mails to."""

from __future__ import annotations

from django.test import override_settings

from tests.support.file_servers import ReceivedMail, SmtpServer


class SmtpMailboxMixin:
    """Starts the server for each test and points EMAIL_BACKEND=smtp at it."""

    def start_mailbox(self) -> SmtpServer:
        server = SmtpServer(users={}, certificate=None)
        server.__enter__()
        self.addCleanup(server.__exit__, None, None, None)  # type: ignore[attr-defined]
        smtp = override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=server.port,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_TIMEOUT=10,
        )
        smtp.enable()
        self.addCleanup(smtp.disable)  # type: ignore[attr-defined]
        return server


def received_by(server: SmtpServer, address: str) -> list[ReceivedMail]:
    return [mail for mail in server.received if address in mail.recipients]


def body(mail: ReceivedMail) -> str:
    return mail.message.get_body(preferencelist=("plain",)).get_content()
