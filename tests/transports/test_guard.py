"""Every transport goes through the outbound guard: a refused host gets no connection at all."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.test import SimpleTestCase, override_settings

from integration_manager.outbound import OutboundRefused
from integration_manager.transports import transport_for
from tests.support.file_servers import FtpServer, SftpServer, SmtpServer, certificate_make

PASSWORD = "tr0ub4dor-and-3"
SPELLINGS = ("127.0.0.1", "localhost", "2130706433", "127.1", "::ffff:127.0.0.1")


@override_settings(HUB_OUTBOUND_ALLOW=[])
class TransportGuardTests(SimpleTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.root = Path(self.enterContext(tempfile.TemporaryDirectory()))
        (self.root / "out").mkdir()
        self.certificate = certificate_make(self.root, "server")

    def assert_refused(self, server: Any, protocol: str, **settings: Any) -> None:
        for host in SPELLINGS:
            with self.subTest(protocol=protocol, host=host):
                chosen = {
                    "protocol": protocol,
                    "host": host,
                    "port": server.port,
                    "username": "acme",
                    **settings,
                }
                refused = self.assertRaisesMessage(OutboundRefused, "only public internet")
                with transport_for(chosen, {"password": PASSWORD}) as transport, refused:
                    transport.test()
        self.assertEqual(server.connections, 0, f"{protocol} reached the server")

    def test_ftp_and_ftps_are_refused_an_inside_address(self) -> None:
        with FtpServer(self.root, users={"acme": PASSWORD}) as server:
            self.assert_refused(server, "ftp")
            self.assert_refused(server, "ftps")

    def test_sftp_is_refused_an_inside_address(self) -> None:
        with SftpServer(self.root, users={"acme": PASSWORD}) as server:
            self.assert_refused(server, "sftp")

    def test_email_is_refused_an_inside_address(self) -> None:
        with SmtpServer(users={"acme": PASSWORD}, certificate=self.certificate) as server:
            self.assert_refused(
                server, "email", sender="hub@example.com", recipients="wh@example.com"
            )
            self.assertEqual(server.received, [])

    @override_settings(HUB_OUTBOUND_ALLOW=["127.0.0.0/8"])
    def test_a_network_the_operator_allowed_is_reached(self) -> None:
        with FtpServer(self.root, users={"acme": PASSWORD}) as server:
            settings = {"protocol": "ftp", "host": "127.0.0.1", "port": server.port}
            with transport_for({**settings, "username": "acme"}, {"password": PASSWORD}) as t:
                self.assertIn("Connected to 127.0.0.1 as acme", t.test())
            self.assertEqual(server.connections, 1)
