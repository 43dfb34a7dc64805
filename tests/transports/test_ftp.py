"""FTP and FTPS specifics against pyftpdlib: certificates, TLS required, PASV addresses."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

from django.test import SimpleTestCase

from integration_manager.connector_errors import AuthError, ConnectorError, TransientError
from integration_manager.transports import FileTransport, transport_for
from tests.support.file_servers import FtpServer, certificate_make

PASSWORD = "tr0ub4dor-and-3"


class FtpTestCase(SimpleTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.root = Path(self.enterContext(tempfile.TemporaryDirectory()))
        self.certificates = Path(self.enterContext(tempfile.TemporaryDirectory()))
        (self.root / "out").mkdir()
        (self.root / "out" / "orders-1.csv").write_bytes(b"order\nR-1\n")

    def serve(self, **options: Any) -> FtpServer:
        return self.enterContext(FtpServer(self.root, users={"acme": PASSWORD}, **options))

    def transport(self, server: FtpServer, **settings: Any) -> FileTransport:
        base = {"protocol": "ftps", "host": "127.0.0.1", "port": server.port, "username": "acme"}
        return self.enterContext(transport_for({**base, **settings}, {"password": PASSWORD}))


class FtpsCertificateTests(FtpTestCase):
    def test_a_self_signed_certificate_is_refused_before_the_login(self) -> None:
        server = self.serve(certificate=certificate_make(self.certificates, "self-signed"))
        with self.assertRaisesMessage(ConnectorError, "could not be verified") as caught:
            self.transport(server).list("out")
        self.assertNotIsInstance(caught.exception, TransientError)  # a person must act
        self.assertIn("self-signed certificate", str(caught.exception))
        self.assertIn("Trusted certificate fingerprint", str(caught.exception))
        self.assertEqual(server.logins, 0, "the password went to a server nobody trusted")

    def test_a_certificate_from_a_trusted_authority_is_verified(self) -> None:
        authority = certificate_make(self.certificates, "test-authority", authority=True)
        server = self.serve(
            certificate=certificate_make(self.certificates, "ftps-server", issuer=authority)
        )
        # The system's authorities, as OpenSSL reads them when the context is made, plus ours.
        with mock.patch.dict(os.environ, {"SSL_CERT_FILE": str(authority.certificate_path)}):
            files = self.transport(server).list("out")
        self.assertEqual([file.name for file in files], ["orders-1.csv"])

    def test_a_certificate_for_another_name_is_refused(self) -> None:
        authority = certificate_make(self.certificates, "test-authority", authority=True)
        elsewhere = certificate_make(
            self.certificates, "ftps-server", issuer=authority, hosts=("ftp.example.com",)
        )
        server = self.serve(certificate=elsewhere)
        trusting = mock.patch.dict(os.environ, {"SSL_CERT_FILE": str(authority.certificate_path)})
        with trusting, self.assertRaisesMessage(ConnectorError, "could not be verified"):
            self.transport(server).list("out")
        self.assertEqual(server.logins, 0)

    def test_a_pinned_fingerprint_trusts_that_certificate_only(self) -> None:
        pinned = certificate_make(self.certificates, "the-real-one")
        server = self.serve(certificate=certificate_make(self.certificates, "an-impostor"))
        with self.assertRaisesMessage(AuthError, "not the one trusted in the settings"):
            self.transport(server, tls_fingerprint=pinned.fingerprint).list("out")
        self.assertEqual(server.logins, 0)

    def test_the_fingerprint_is_taken_as_openssl_prints_it(self) -> None:
        certificate = certificate_make(self.certificates, "self-signed")
        server = self.serve(certificate=certificate)
        pasted = f"sha256 Fingerprint={certificate.fingerprint.lower()}"
        self.assertEqual(len(self.transport(server, tls_fingerprint=pasted).list("out")), 1)


class FtpTlsChoiceTests(FtpTestCase):
    def test_ftps_to_a_server_without_tls_says_so(self) -> None:
        server = self.serve()
        with self.assertRaisesMessage(ConnectorError, "does not offer FTPS"):
            self.transport(server).list("out")
        self.assertEqual(server.logins, 0)

    def test_plain_ftp_to_a_server_that_requires_tls_is_a_refused_login(self) -> None:
        server = self.serve(certificate=certificate_make(self.certificates, "self-signed"))
        with self.assertRaisesMessage(AuthError, "SSL/TLS required"):
            self.transport(server, protocol="ftp").list("out")


class FtpPassiveAddressTests(FtpTestCase):
    def test_the_address_in_a_pasv_reply_is_not_followed(self) -> None:
        # The server names a documentation address (TEST-NET-1) for its data connection; the
        # hub connects to the server it is talking to instead, through the guard.
        server = self.serve(masquerade="192.0.2.1")
        transport = self.transport(server, protocol="ftp")
        transport.write_atomic("out", "orders-2.csv", b"order\nR-2\n")
        self.assertEqual(transport.read("out", "orders-2.csv"), b"order\nR-2\n")
