"""FTP, FTPS and SFTP against real servers on loopback: the same folder behaviours on each."""

from __future__ import annotations

import socket
import tempfile
import threading
from pathlib import Path
from typing import Any

from django.test import SimpleTestCase

from integration_manager.connector_errors import AuthError, TransientError
from integration_manager.transports import (
    FileExists,
    FileMissing,
    FileTransport,
    FolderNotFound,
    PermissionDenied,
    transport_for,
)
from tests.support.file_servers import Certificate, FtpServer, Gate, SftpServer, certificate_make

PASSWORD = "tr0ub4dor-and-3"
ORDERS = b"order,sku,quantity\nR-1,BIKE-1,2\n"
STOCK = b"sku,quantity\nBIKE-1,7\n"


class FolderTransportBehaviour:
    """The folder behaviours; each subclass starts its own kind of server in setUp."""

    protocol = ""
    root: Path
    server: Any

    def server_make(self, root: Path) -> Any:
        raise NotImplementedError

    def settings(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "host": "127.0.0.1",
            "port": self.server.port,
            "username": "acme",
            "folder": "out",
        }

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        self.root = Path(self.enterContext(tempfile.TemporaryDirectory()))  # type: ignore[attr-defined]
        for folder in ("out", "out/done", "in", "ro"):
            (self.root / folder).mkdir()
        (self.root / "out" / "orders-1.csv").write_bytes(ORDERS)
        (self.root / "ro" / "stock.csv").write_bytes(STOCK)
        self.server = self.enterContext(self.server_make(self.root))  # type: ignore[attr-defined]

    def transport(self, password: str = PASSWORD, **changes: Any) -> FileTransport:
        settings = {**self.settings(), **changes}
        return self.enterContext(transport_for(settings, {"password": password}))  # type: ignore[attr-defined]

    def names(self, folder: str) -> list[str]:
        return sorted(path.name for path in (self.root / folder).iterdir())

    def test_it_lists_the_files_of_a_folder_but_not_its_folders(self) -> None:
        files = self.transport().list("out")
        self.assertEqual([file.name for file in files], ["orders-1.csv"])  # not "done"
        self.assertEqual(files[0].size, len(ORDERS))
        self.assertIsNotNone(files[0].modified)

    def test_it_reads_a_file(self) -> None:
        self.assertEqual(self.transport().read("ro", "stock.csv"), STOCK)

    def test_it_writes_a_file_and_leaves_no_temporary_file(self) -> None:
        self.transport().write_atomic("in", "orders-2.csv", ORDERS)
        self.assertEqual((self.root / "in" / "orders-2.csv").read_bytes(), ORDERS)
        self.assertEqual(self.names("in"), ["orders-2.csv"])

    def test_it_never_replaces_a_file(self) -> None:
        with self.assertRaisesMessage(FileExists, "never replaces a file"):
            self.transport().write_atomic("out", "orders-1.csv", b"something else")
        self.assertEqual((self.root / "out" / "orders-1.csv").read_bytes(), ORDERS)
        self.assertEqual(self.names("out"), ["done", "orders-1.csv"])

    def test_a_reader_never_sees_a_file_half_written(self) -> None:
        self.server.gate = gate = Gate()
        data = b"R-1,BIKE-1,1\n" * 40_000  # ~0.5 MB: many writes, held after the first
        failures: list[BaseException] = []

        def upload() -> None:
            try:
                with transport_for(self.settings(), {"password": PASSWORD}) as writer:
                    writer.write_atomic("in", "orders-3.csv", data)
            except BaseException as failure:
                failures.append(failure)

        writer = threading.Thread(target=upload)
        writer.start()
        self.addCleanup(writer.join, 30)
        self.addCleanup(gate.release.set)
        self.assertTrue(gate.reached.wait(30), "the upload never started")
        during = [file.name for file in self.transport().list("in")]
        self.assertNotIn("orders-3.csv", during)
        self.assertEqual(len(during), 1)
        self.assertTrue(during[0].startswith(".orders-3.csv.") and during[0].endswith(".part"))
        gate.release.set()
        writer.join(30)
        self.assertEqual(failures, [])
        self.assertEqual([file.name for file in self.transport().list("in")], ["orders-3.csv"])
        self.assertEqual((self.root / "in" / "orders-3.csv").read_bytes(), data)

    def test_it_moves_a_file_into_an_archive_folder_it_makes(self) -> None:
        moved = self.transport().move("out", "orders-1.csv", "archive/2025")
        self.assertEqual(moved, "orders-1.csv")
        self.assertEqual((self.root / "archive" / "2025" / "orders-1.csv").read_bytes(), ORDERS)
        self.assertEqual(self.names("out"), ["done"])

    def test_a_name_taken_in_the_archive_gets_a_number(self) -> None:
        transport = self.transport()
        transport.move("out", "orders-1.csv", "out/done")
        transport.write_atomic("out", "orders-1.csv", b"the same name, new content\n")
        self.assertEqual(transport.move("out", "orders-1.csv", "out/done"), "orders-1-2.csv")
        done = self.root / "out" / "done"
        self.assertEqual((done / "orders-1.csv").read_bytes(), ORDERS)
        self.assertEqual((done / "orders-1-2.csv").read_bytes(), b"the same name, new content\n")

    def test_a_wrong_password_is_an_auth_error_that_keeps_the_password_out(self) -> None:
        with self.assertRaisesMessage(AuthError, "refused the login for acme") as caught:
            self.transport(password="not-the-password-9").list("out")
        self.assertNotIn("not-the-password-9", str(caught.exception))

    def test_a_missing_folder_is_named(self) -> None:
        transport = self.transport()
        with self.assertRaisesMessage(FolderNotFound, "folder nowhere was not found"):
            transport.list("nowhere")
        with self.assertRaises(FolderNotFound):
            transport.write_atomic("nowhere", "orders-2.csv", ORDERS)

    def test_a_read_only_folder_refuses_a_write_with_permission_denied(self) -> None:
        transport = self.transport()
        with self.assertRaisesMessage(PermissionDenied, "permission denied"):
            transport.write_atomic("ro", "orders-2.csv", ORDERS)
        self.assertEqual(self.names("ro"), ["stock.csv"])
        self.assertEqual(transport.read("ro", "stock.csv"), STOCK)  # reading is still allowed

    def test_a_file_taken_by_someone_else_is_missing(self) -> None:
        transport = self.transport()
        with self.assertRaisesMessage(FileMissing, "another program may have taken it"):
            transport.read("out", "orders-9.csv")
        with self.assertRaises(FileMissing):
            transport.move("out", "orders-9.csv", "archive")

    def test_the_connection_test_says_what_it_found(self) -> None:
        found = self.transport().test()
        self.assertIn("Connected to 127.0.0.1 as acme", found)
        self.assertIn("the folder out has 1 file", found)

    def test_a_closed_port_is_retried(self) -> None:
        with socket.socket() as closed:  # bound, never listening: the port refuses
            closed.bind(("127.0.0.1", 0))
            transport = self.transport(port=closed.getsockname()[1])
            with self.assertRaisesMessage(TransientError, "refused the connection on port"):
                transport.list("out")


class FtpTransportTests(FolderTransportBehaviour, SimpleTestCase):
    protocol = "ftp"

    def server_make(self, root: Path) -> Any:
        return FtpServer(root, users={"acme": PASSWORD}, read_only=["ro"])


class FtpWithoutMlsdTests(FolderTransportBehaviour, SimpleTestCase):
    """Servers such as vsftpd have no MLSD: NLST, SIZE and MDTM instead."""

    protocol = "ftp"

    def server_make(self, root: Path) -> Any:
        return FtpServer(root, users={"acme": PASSWORD}, read_only=["ro"], mlsd=False)


class FtpActiveModeTests(FolderTransportBehaviour, SimpleTestCase):
    protocol = "ftp"

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "passive": False}

    def server_make(self, root: Path) -> Any:
        return FtpServer(root, users={"acme": PASSWORD}, read_only=["ro"])


class FtpsTransportTests(FolderTransportBehaviour, SimpleTestCase):
    """FTPS with a self-signed certificate the settings trust by its fingerprint."""

    protocol = "ftps"
    certificate: Certificate

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "tls_fingerprint": self.certificate.fingerprint}

    def server_make(self, root: Path) -> Any:
        folder = Path(self.enterContext(tempfile.TemporaryDirectory()))
        self.certificate = certificate_make(folder, "ftps-server")
        return FtpServer(
            root, users={"acme": PASSWORD}, read_only=["ro"], certificate=self.certificate
        )


class SftpTransportTests(FolderTransportBehaviour, SimpleTestCase):
    protocol = "sftp"

    def server_make(self, root: Path) -> Any:
        return SftpServer(root, users={"acme": PASSWORD}, read_only=["ro"])
