"""The outbound guard: no spelling of an inside address, no name that resolves inside (now or
later), no redirect and no other scheme takes the hub anywhere but the public internet, and
each kind of failure says what it is."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from unittest import mock

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.test import SimpleTestCase, override_settings

from carts.connectors.bigcommerce.connector import BigCommerceConnector
from carts.connectors.shopify.connector import ShopifyConnector
from carts.connectors.woocommerce.connector import WooCommerceConnector
from integration_manager.connector_errors import ConnectorError, TransientError
from integration_manager.http import http_session
from integration_manager.outbound import AddressInvalid, OutboundRefused, url_check


class Listener:
    """A TCP port on loopback that counts who connects, and answers like a tiny web server."""

    def __init__(self, host: str = "127.0.0.1", *, answer: bytes | None = None) -> None:
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind((host, 0))
        self.server.listen(16)
        self.port = self.server.getsockname()[1]
        self.answer = answer
        self.connections = 0
        self.received: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            with client:
                client.settimeout(2)
                try:
                    self.received.append(client.recv(65536))
                    if self.answer is not None:
                        client.sendall(self.answer)
                    else:
                        threading.Event().wait(3)  # accept, then never answer
                except OSError:
                    pass

    def close(self) -> None:
        self.server.close()


def answer(status: str, headers: dict[str, str], body: bytes = b"{}") -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@contextmanager
def listening(host: str = "127.0.0.1", *, reply: bytes | None = None) -> Iterator[Listener]:
    listener = Listener(host, answer=reply)
    try:
        yield listener
    finally:
        listener.close()


INSIDE_SPELLINGS = (
    "http://127.0.0.1:{port}/",
    "http://localhost:{port}/",
    "http://2130706433:{port}/",  # decimal
    "http://0177.0.0.1:{port}/",  # octal
    "http://0x7f.0.0.1:{port}/",  # hex
    "http://0x7f000001:{port}/",
    "http://127.1:{port}/",
    "http://[::1]:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://[::ffff:7f00:1]:{port}/",
    "http://0.0.0.0:{port}/",
    "https://127.0.0.1:{port}/",
)
OTHER_INSIDE = (
    "https://10.0.0.1/",
    "https://172.16.5.4/",
    "https://192.168.1.1/",
    "https://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
    "https://100.64.0.1/",  # carrier-grade NAT
    "https://224.0.0.1/",
    "https://240.0.0.1/",
    "https://[fe80::1]/",
    "https://[fc00::1]/",
    "https://[ff02::1]/",
    "https://[2002:7f00:1::]/",  # 6to4 around 127.0.0.1
    "https://[64:ff9b::a00:1]/",  # NAT64 around 10.0.0.1
)


@override_settings(HUB_OUTBOUND_ALLOW=[])
class GuardTests(SimpleTestCase):
    def get(self, url: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
        session = http_session(label="Test store", timeout=(2.0, 2.0))
        session.get(url, **kwargs)

    def test_every_spelling_of_this_machine_is_refused_at_the_form_and_at_the_call(self) -> None:
        with listening(reply=answer("200 OK", {})) as listener:
            for spelling in INSIDE_SPELLINGS:
                url = spelling.format(port=listener.port)
                with self.subTest(url=url):
                    with self.assertRaises(AddressInvalid):
                        url_check(url)
                    with self.assertRaisesMessage(OutboundRefused, "only public internet"):
                        self.get(url)
            self.assertEqual(listener.connections, 0, "the guard let a connection through")

    def test_private_link_local_multicast_and_reserved_addresses_are_refused(self) -> None:
        for url in OTHER_INSIDE:
            with self.subTest(url=url):
                with self.assertRaises(AddressInvalid):
                    url_check(url)
                with self.assertRaises(OutboundRefused):
                    self.get(url)

    def test_a_name_that_answers_inside_only_at_call_time_is_refused_then(self) -> None:
        """DNS rebinding: public when the form is saved, this machine when the call is made."""
        real = socket.getaddrinfo
        answers = iter(["93.184.216.34", "127.0.0.1"])

        def rebinding(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
            if host != "rebind.example.com":
                return real(host, port, *args, **kwargs)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

        with listening(reply=answer("200 OK", {})) as listener:
            url = f"https://rebind.example.com:{listener.port}/"
            with mock.patch("socket.getaddrinfo", rebinding):
                self.assertEqual(url_check(url), url)
                with self.assertRaises(OutboundRefused):
                    self.get(url)
            self.assertEqual(listener.connections, 0)

    def test_only_web_addresses_are_taken(self) -> None:
        for url in ("ftp://shop.example.com/", "file:///etc/passwd", "gopher://x:70/", "shop"):
            with self.subTest(url=url):
                with self.assertRaises(AddressInvalid):
                    url_check(url)
                with self.assertRaises((OutboundRefused, ConnectorError)):
                    self.get(url)

    def test_user_and_password_in_the_address_are_refused(self) -> None:
        with self.assertRaisesMessage(AddressInvalid, "user name and password"):
            url_check("https://admin:hunter22@shop.example.com/")

    @override_settings(HUB_OUTBOUND_ALLOW=["127.0.0.0/8"])
    def test_a_network_the_operator_allowed_is_reachable(self) -> None:
        with listening(reply=answer("200 OK", {"Content-Type": "application/json"})) as listener:
            session = http_session(label="Warehouse", timeout=(2.0, 2.0))
            response = session.get(f"http://127.0.0.1:{listener.port}/ok")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(listener.connections, 1)


@override_settings(HUB_OUTBOUND_ALLOW=["127.0.0.1/32"])
class RedirectTests(SimpleTestCase):
    def test_a_redirect_elsewhere_is_not_followed_and_takes_no_credential(self) -> None:
        with listening("127.0.0.2", reply=answer("200 OK", {})) as elsewhere:
            target = f"http://127.0.0.2:{elsewhere.port}/steal"
            with listening(reply=answer("302 Found", {"Location": target})) as store:
                session = http_session(
                    label="Test store", secrets=["sk_live_abcdef123456"], timeout=(2.0, 2.0)
                )
                with self.assertRaisesMessage(ConnectorError, "does not follow redirects"):
                    session.get(
                        f"http://127.0.0.1:{store.port}/api",
                        headers={"X-Auth-Token": "sk_live_abcdef123456"},
                    )
            self.assertEqual(elsewhere.connections, 0)

    def test_a_redirect_to_plain_http_on_the_same_host_is_not_followed(self) -> None:
        with listening(reply=answer("301 Moved", {"Location": "/v2"})) as store:
            session = http_session(label="Test store", timeout=(2.0, 2.0))
            with self.assertRaises(ConnectorError):
                session.get(f"http://127.0.0.1:{store.port}/v1")
            self.assertEqual(store.connections, 1)


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _Quiet(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@override_settings(HUB_OUTBOUND_ALLOW=["127.0.0.0/8"])
class FailureMessageTests(SimpleTestCase):
    """A closed port, a refused certificate, an unknown name and a silent server each say what
    they are, so a user knows what to check."""

    def failure(self, url: str) -> str:
        session = http_session(label="Test store", timeout=(1.0, 0.5))
        with self.assertRaises(TransientError) as failed:
            session.get(url)
        return str(failed.exception)

    def test_each_failure_says_what_it_is(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        messages = {"closed": self.failure(f"http://127.0.0.1:{closed_port}/")}
        with tempfile.TemporaryDirectory() as folder:
            cert, key = self_signed_certificate(Path(folder))
            server = ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            server.socket = context.wrap_socket(server.socket, server_side=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            try:
                messages["tls"] = self.failure(f"https://127.0.0.1:{server.server_port}/")
            finally:
                server.shutdown()
                server.server_close()
        messages["dns"] = self.failure("https://no-such-store.invalid/")
        with listening() as silent:
            messages["timeout"] = self.failure(f"http://127.0.0.1:{silent.port}/")
        self.assertIn("refused the connection on port", messages["closed"])
        self.assertIn("certificate", messages["tls"])
        self.assertIn("could not be found", messages["dns"])
        self.assertIn("did not answer in time", messages["timeout"])
        self.assertEqual(len(set(messages.values())), 4)


class VendorHostTests(SimpleTestCase):
    """Where a vendor answers on fixed hosts, the connector says so, and nothing else goes."""

    def form(self, connector, **data):  # type: ignore[no-untyped-def]
        return connector.form(data, prefix=None)

    def test_shopify_takes_only_a_myshopify_address(self) -> None:
        data = {"access_token": "shpat_0123456789", "api_version": "2026-10"}
        data |= {"financial_statuses": ["PAID"]}
        refused = self.form(ShopifyConnector, base_url="https://shop.example.com", **data)
        self.assertFalse(refused.is_valid())
        self.assertIn("myshopify.com", refused.errors["base_url"][0])
        taken = self.form(ShopifyConnector, base_url="https://acme.myshopify.com", **data)
        self.assertTrue(taken.is_valid(), taken.errors)

    def test_bigcommerce_takes_only_its_api_host(self) -> None:
        data = {"store_hash": "abc123", "access_token": "tok_0123456789", "client_secret": "s" * 9}
        data |= {"download_statuses": ["11"], "inventory_location_id": 1}
        refused = self.form(BigCommerceConnector, base_url="https://api.example.com", **data)
        self.assertFalse(refused.is_valid())
        self.assertIn("api.bigcommerce.com", refused.errors["base_url"][0])
        taken = self.form(BigCommerceConnector, **data)
        self.assertTrue(taken.is_valid(), taken.errors)

    @override_settings(HUB_OUTBOUND_ALLOW=[])
    def test_a_connector_pointed_elsewhere_is_refused_at_the_call(self) -> None:
        from integration_manager.connectors import ConnectionContext

        connector = ShopifyConnector(
            settings={"base_url": "https://shop.example.com"},
            credentials={"access_token": "shpat_0123456789"},
            context=ConnectionContext(connection_id=1, account_id=1, label="Acme"),
        )
        with self.assertRaises(OutboundRefused):
            connector.test_connection()

    def test_woocommerce_takes_any_public_store_over_https_only(self) -> None:
        data = {"consumer_key": "ck_0123456789", "consumer_secret": "cs_0123456789"}
        data |= {"download_statuses": ["processing"], "shipment_tracking": "auto"}
        self.assertTrue(
            self.form(WooCommerceConnector, base_url="https://shop.example.com", **data).is_valid()
        )
        plain = self.form(WooCommerceConnector, base_url="http://shop.example.com", **data)
        self.assertFalse(plain.is_valid())
        self.assertIn("https://", plain.errors["base_url"][0])
