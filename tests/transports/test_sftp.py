"""SFTP specifics against a real SSH server: host keys pinned on first use, key logins."""

from __future__ import annotations

import io
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any

import paramiko
from django.test import SimpleTestCase

from integration_manager.connector_errors import AuthError, TransientError
from integration_manager.transports import HostKeyChanged, SftpTransport, transport_for
from integration_manager.transports.sftp import host_key_text
from tests.support.file_servers import SftpServer, host_key_make, ssh_key_make

PASSWORD = "tr0ub4dor-and-3"


def public_key(private_text: str) -> str:
    for key_class in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return key_class.from_private_key(io.StringIO(private_text)).get_base64()
        except paramiko.SSHException:
            continue
    raise AssertionError("not a key")


class SftpTestCase(SimpleTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.root = Path(self.enterContext(tempfile.TemporaryDirectory()))
        (self.root / "out").mkdir()
        (self.root / "out" / "orders-1.csv").write_bytes(b"order\nR-1\n")

    def serve(self, **options: Any) -> SftpServer:
        options.setdefault("users", {"acme": PASSWORD})
        return self.enterContext(SftpServer(self.root, **options))

    def transport(
        self, server: SftpServer, secrets: dict[str, str] | None = None, **settings: Any
    ) -> SftpTransport:
        base = {"protocol": "sftp", "host": "127.0.0.1", "port": server.port, "username": "acme"}
        chosen = {"password": PASSWORD} if secrets is None else secrets
        transport = transport_for({**base, **settings}, chosen)
        assert isinstance(transport, SftpTransport)
        return self.enterContext(transport)


class SftpHostKeyTests(SftpTestCase):
    def test_the_first_key_seen_is_accepted_and_reported(self) -> None:
        server = self.serve()
        transport = self.transport(server)
        found = transport.test()
        self.assertEqual(transport.host_key_seen, host_key_text(server.host_key))
        self.assertTrue(transport.host_key_seen.startswith("ssh-ed25519 SHA256:"))
        self.assertIn(f"Host key {transport.host_key_seen}: new", found)

    def test_the_pinned_key_is_accepted_again(self) -> None:
        server = self.serve()
        transport = self.transport(server, host_key=host_key_text(server.host_key))
        self.assertIn("the one saved", transport.test())

    def test_a_changed_key_is_refused_before_the_password_is_sent(self) -> None:
        server = self.serve()
        pinned = host_key_text(server.host_key)
        server.host_key = host_key_make(
            "ed25519"
        )  # the server was replaced, or someone is in between
        with self.assertRaisesMessage(
            HostKeyChanged, "The host key of 127.0.0.1 changed"
        ) as caught:
            self.transport(server, host_key=pinned).list("out")
        self.assertIsInstance(caught.exception, AuthError)
        self.assertIn("only if the server's administrator confirms", str(caught.exception))
        self.assertEqual(server.logins, 0)

    def test_the_pinned_kind_of_key_is_asked_for(self) -> None:
        """A server with keys of two kinds: the hub asks for the kind it pinned, rather than
        taking the other kind for a changed key."""
        ecdsa = host_key_make("ecdsa")
        server = self.serve(other_host_keys=[ecdsa])  # an Ed25519 key first, then ECDSA
        transport = self.transport(server, host_key=host_key_text(ecdsa))
        self.assertEqual(len(transport.list("out")), 1)
        self.assertEqual(transport.host_key_seen, host_key_text(ecdsa))

    def test_a_port_that_does_not_speak_ssh_is_retried(self) -> None:
        with socket.create_server(("127.0.0.1", 0)) as listener:
            answered = threading.Thread(target=_answer_once, args=(listener,), daemon=True)
            answered.start()
            server_port = listener.getsockname()[1]
            transport = transport_for(
                {"protocol": "sftp", "host": "127.0.0.1", "port": server_port, "username": "a"},
                {"password": PASSWORD},
            )
            with self.assertRaisesMessage(TransientError, "did not complete an SSH handshake"):
                transport.list("out")
            answered.join(10)


def _answer_once(listener: socket.socket) -> None:
    connection, _ = listener.accept()
    with connection:
        connection.sendall(b"220 this is an FTP server\r\n")


class SftpKeyLoginTests(SftpTestCase):
    def test_each_kind_of_private_key_logs_in(self) -> None:
        for kind in ("ed25519", "ecdsa", "rsa"):
            with self.subTest(kind=kind):
                private = ssh_key_make(kind)
                server = self.serve(keys={"acme": [public_key(private)]}, auths="publickey")
                pasted = private.replace("\n", "\r\n")  # as a browser's text area sends it
                transport = self.transport(server, secrets={"private_key": pasted})
                self.assertEqual([file.name for file in transport.list("out")], ["orders-1.csv"])

    def test_an_encrypted_key_needs_its_passphrase(self) -> None:
        private = ssh_key_make("ed25519", passphrase="open-sesame-1")
        server = self.serve(keys={"acme": [public_key_of_encrypted(private)]}, auths="publickey")
        cases = {
            "": "protected by a passphrase",
            "wrong-pass-2": "does not open the SSH private key",
        }
        for passphrase, message in cases.items():
            with self.subTest(passphrase=passphrase):
                secrets = {"private_key": private, "private_key_passphrase": passphrase}
                with self.assertRaisesMessage(AuthError, message):
                    self.transport(server, secrets=secrets).list("out")
        secrets = {"private_key": private, "private_key_passphrase": "open-sesame-1"}
        self.assertEqual(len(self.transport(server, secrets=secrets).list("out")), 1)

    def test_a_key_the_server_does_not_know_is_refused(self) -> None:
        server = self.serve(keys={"acme": [public_key(ssh_key_make())]}, auths="publickey")
        with self.assertRaisesMessage(AuthError, "refused the login for acme"):
            self.transport(server, secrets={"private_key": ssh_key_make()}).list("out")

    def test_a_server_without_password_logins_says_what_it_takes(self) -> None:
        server = self.serve(auths="publickey")
        with self.assertRaisesMessage(
            AuthError, "does not take password logins (it takes: publickey)"
        ):
            self.transport(server).list("out")

    def test_text_that_is_not_a_key_says_so(self) -> None:
        server = self.serve()
        with self.assertRaisesMessage(AuthError, "could not be read"):
            self.transport(
                server, secrets={"private_key": "ssh-ed25519 AAAAC3Nza… me@laptop"}
            ).list("out")


def public_key_of_encrypted(private_text: str) -> str:
    return paramiko.Ed25519Key.from_private_key(
        io.StringIO(private_text), password="open-sesame-1"
    ).get_base64()
