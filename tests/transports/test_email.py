"""The send-only e-mail transport against aiosmtpd: files arrive as attachments, encrypted."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.test import SimpleTestCase

from integration_manager.connector_errors import AuthError, ConnectorError
from integration_manager.transports import EmailTransport, transport_for
from tests.support.file_servers import Certificate, SmtpServer, certificate_make

PASSWORD = "tr0ub4dor-and-3"
ORDERS = b"order,sku,quantity\nR-1,BIKE-1,2\n"


class EmailTransportTests(SimpleTestCase):
    def setUp(self) -> None:
        super().setUp()
        folder = Path(self.enterContext(tempfile.TemporaryDirectory()))
        self.certificate: Certificate = certificate_make(folder, "smtp-server")

    def serve(self, **options: Any) -> SmtpServer:
        options.setdefault("certificate", self.certificate)
        return self.enterContext(SmtpServer(users={"hub": PASSWORD}, **options))

    def transport(
        self, server: SmtpServer, password: str = PASSWORD, **settings: Any
    ) -> EmailTransport:
        base = {
            "protocol": "email",
            "host": "127.0.0.1",
            "port": server.port,
            "username": "hub",
            "sender": "hub@3pl.example.com",
            "recipients": "orders@warehouse.example.com, desk@warehouse.example.com",
            "tls_fingerprint": self.certificate.fingerprint,
        }
        transport = transport_for({**base, **settings}, {"password": password})
        assert isinstance(transport, EmailTransport)
        return self.enterContext(transport)

    def test_a_file_arrives_as_an_attachment_to_every_recipient(self) -> None:
        server = self.serve()
        self.transport(server).write_atomic("", "orders-20250101-1.csv", ORDERS)
        [mail] = server.received
        self.assertEqual(mail.mail_from, "hub@3pl.example.com")
        self.assertEqual(
            mail.recipients, ["orders@warehouse.example.com", "desk@warehouse.example.com"]
        )
        self.assertEqual(mail.message["Subject"], "orders-20250101-1.csv")
        [attachment] = mail.message.iter_attachments()
        self.assertEqual(attachment.get_filename(), "orders-20250101-1.csv")
        self.assertEqual(attachment.get_content_type(), "text/csv")
        self.assertEqual(attachment.get_payload(decode=True), ORDERS)

    def test_the_subject_can_carry_the_file_name(self) -> None:
        server = self.serve()
        self.transport(server, subject="Orders for ACME: {name}").write_atomic(
            "", "orders-2.csv", ORDERS
        )
        self.assertEqual(server.received[0].message["Subject"], "Orders for ACME: orders-2.csv")

    def test_ssl_from_the_first_byte_works_too(self) -> None:
        server = self.serve(implicit_tls=True)
        self.transport(server, security="ssl").write_atomic("", "orders-3.csv", ORDERS)
        self.assertEqual(len(server.received), 1)

    def test_a_wrong_password_is_an_auth_error(self) -> None:
        server = self.serve()
        with self.assertRaisesMessage(AuthError, "refused the login for hub") as caught:
            self.transport(server, password="not-the-password-9").write_atomic(
                "", "orders-4.csv", ORDERS
            )
        self.assertNotIn("not-the-password-9", str(caught.exception))
        self.assertEqual(server.received, [])

    def test_an_untrusted_certificate_is_refused_before_the_login(self) -> None:
        server = self.serve()
        with self.assertRaisesMessage(ConnectorError, "could not be verified"):
            self.transport(server, tls_fingerprint="").write_atomic("", "orders-5.csv", ORDERS)
        self.assertEqual(server.logins, 0)
        self.assertEqual(server.received, [])

    def test_a_server_without_starttls_gets_nothing(self) -> None:
        server = self.serve(certificate=None)
        with self.assertRaisesMessage(ConnectorError, "does not offer STARTTLS"):
            self.transport(server).write_atomic("", "orders-6.csv", ORDERS)
        self.assertEqual(server.logins, 0)
        self.assertEqual(server.received, [])

    def test_it_only_sends(self) -> None:
        server = self.serve()
        transport = self.transport(server)
        self.assertEqual(transport.list("in"), [])
        with self.assertRaisesMessage(ConnectorError, "only send files"):
            transport.read("in", "shipments.csv")
        with self.assertRaisesMessage(ConnectorError, "only send files"):
            transport.move("in", "shipments.csv", "archive")

    def test_the_connection_test_logs_in_and_sends_nothing(self) -> None:
        server = self.serve()
        found = self.transport(server).test()
        self.assertIn("logged in as hub", found)
        self.assertIn("orders@warehouse.example.com, desk@warehouse.example.com", found)
        self.assertEqual(server.logins, 1)
        self.assertEqual(server.received, [])
