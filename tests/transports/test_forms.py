"""The transport settings: the form a connector includes, host_check and transport_for."""

from __future__ import annotations

from typing import Any

from django.test import SimpleTestCase, override_settings
from django.utils.datastructures import MultiValueDict

from integration_manager.connector_errors import ConnectorError
from integration_manager.outbound import AddressInvalid
from integration_manager.transports import (
    TRANSPORT_ADDRESS_FIELDS,
    TRANSPORT_SECRET_FIELDS,
    EmailTransport,
    FtpTransport,
    SftpTransport,
    host_check,
    transport_for,
)
from integration_manager.transports.forms import TransportSettingsForm
from tests.support.file_servers import ssh_key_make
from tests.support.forms import form_values

PASSWORD = "tr0ub4dor-and-3"
HOST_KEY = "ssh-ed25519 SHA256:6bK2V0x9oJ0Qm8S4o0b0nXo2mJ6QeYgW8zQm7b3k1aA"


def bound(data: dict[str, Any], **options: Any) -> TransportSettingsForm:
    posted = {f"settings-{name}": value for name, value in data.items()}
    return form(posted, **options)


def form(
    data: Any = None,
    *,
    saved: dict[str, Any] | None = None,
    saved_secrets: tuple[str, ...] = (),
) -> TransportSettingsForm:
    # As Connector.form builds it for a connector that declares the transport's fields.
    return TransportSettingsForm(
        data,
        prefix="settings",
        initial=dict(saved or {}),
        secret_fields=TRANSPORT_SECRET_FIELDS,
        saved_secrets=saved_secrets,
        address_fields=TRANSPORT_ADDRESS_FIELDS,
    )


SFTP = {"protocol": "sftp", "host": "127.0.0.1", "username": "acme", "password": PASSWORD}


class TransportSettingsFormTests(SimpleTestCase):
    def saved_sftp(self) -> dict[str, Any]:
        first = bound(SFTP)
        self.assertTrue(first.is_valid(), first.errors)
        return {**first.settings_data(), "host_key": HOST_KEY}

    def test_a_new_sftp_connection_keeps_its_password_apart(self) -> None:
        new = bound(SFTP)
        self.assertTrue(new.is_valid(), new.errors)
        settings = new.settings_data()
        self.assertEqual(
            {name: settings[name] for name in ("protocol", "host", "port", "username")},
            {"protocol": "sftp", "host": "127.0.0.1", "port": 22, "username": "acme"},
        )
        self.assertEqual(settings["host_key"], "")
        self.assertNotIn("password", settings)
        self.assertNotIn("host_key_reset", settings)
        self.assertEqual(new.secrets_data(), {"password": PASSWORD})

    def test_each_protocol_asks_for_what_it_needs(self) -> None:
        sftp = bound({"protocol": "sftp", "host": "127.0.0.1"})
        self.assertFalse(sftp.is_valid())
        self.assertEqual(set(sftp.errors), {"username", "password"})
        email = bound({"protocol": "email", "host": "127.0.0.1"})
        self.assertFalse(email.is_valid())
        self.assertEqual(set(email.errors), {"sender", "recipients"})
        ftp = bound({**SFTP, "protocol": "ftp", "passive": "on"})
        self.assertTrue(ftp.is_valid(), ftp.errors)
        self.assertEqual(ftp.settings_data()["port"], 21)
        self.assertIs(ftp.settings_data()["passive"], True)

    def test_sftp_takes_a_private_key_instead_of_a_password(self) -> None:
        with_key = bound({**SFTP, "password": "", "private_key": ssh_key_make()})
        self.assertTrue(with_key.is_valid(), with_key.errors)
        self.assertEqual(set(with_key.secrets_data()), {"private_key"})
        not_a_key = bound({**SFTP, "password": "", "private_key": "ssh-ed25519 AAAA me@laptop"})
        self.assertFalse(not_a_key.is_valid())
        self.assertIn("could not be read", not_a_key.errors["private_key"][0])
        locked = ssh_key_make(passphrase="open-sesame-1")
        no_passphrase = bound({**SFTP, "password": "", "private_key": locked})
        self.assertFalse(no_passphrase.is_valid())
        self.assertIn("passphrase", no_passphrase.errors["private_key_passphrase"][0])
        opened = bound(
            {
                **SFTP,
                "password": "",
                "private_key": locked,
                "private_key_passphrase": "open-sesame-1",
            }
        )
        self.assertTrue(opened.is_valid(), opened.errors)

    @override_settings(HUB_OUTBOUND_ALLOW=[])
    def test_the_host_follows_the_outbound_guard(self) -> None:
        inside = bound(SFTP)
        self.assertFalse(inside.is_valid())
        self.assertIn("only public internet addresses", inside.errors["host"][0])
        with_scheme = bound({**SFTP, "host": "sftp://files.example.com"})
        self.assertFalse(with_scheme.is_valid())
        self.assertIn("without ftp:// or sftp://", with_scheme.errors["host"][0])

    def test_an_unchanged_edit_changes_nothing(self) -> None:
        saved = self.saved_sftp()
        page = f'<form method="post">{form(saved=saved, saved_secrets=("password",))}</form>'
        posted = form_values(page, containing="settings-host")
        self.assertNotIn("settings-host_key", posted)  # shown, never posted
        edit = form(MultiValueDict(posted), saved=saved, saved_secrets=("password",))
        self.assertTrue(edit.is_valid(), edit.errors)
        self.assertEqual(edit.settings_data(), saved)
        self.assertEqual(edit.secrets_data(), {})

    def test_a_posted_host_key_is_ignored(self) -> None:
        saved = self.saved_sftp()
        edit = bound(
            {**saved, "password": "", "host_key": "ssh-ed25519 SHA256:someone-elses"},
            saved=saved,
            saved_secrets=("password",),
        )
        self.assertTrue(edit.is_valid(), edit.errors)
        self.assertEqual(edit.settings_data()["host_key"], HOST_KEY)

    def test_another_server_forgets_the_host_key_and_the_password(self) -> None:
        saved = self.saved_sftp()
        moved = {**saved, "host": "127.0.0.2", "password": ""}
        edit = bound(moved, saved=saved, saved_secrets=("password",))
        self.assertFalse(edit.is_valid())
        self.assertIn("cleared because the server changed", edit.errors["password"][0])
        retyped = bound({**moved, "password": PASSWORD}, saved=saved, saved_secrets=("password",))
        self.assertTrue(retyped.is_valid(), retyped.errors)
        self.assertEqual(retyped.settings_data()["host_key"], "")

    def test_accepting_a_new_host_key_forgets_the_saved_one(self) -> None:
        saved = self.saved_sftp()
        edit = bound(
            {**saved, "password": "", "host_key_reset": "on"},
            saved=saved,
            saved_secrets=("password",),
        )
        self.assertTrue(edit.is_valid(), edit.errors)
        self.assertEqual(edit.settings_data()["host_key"], "")

    def test_typed_secrets_are_never_shown_back(self) -> None:
        key = ssh_key_make()
        refused = bound({**SFTP, "username": "", "private_key": key})
        self.assertFalse(refused.is_valid())
        page = str(refused)
        self.assertNotIn(PASSWORD, page)
        self.assertNotIn(key.splitlines()[1], page)

    def test_e_mail_recipients_are_tidied_and_checked(self) -> None:
        email = {"protocol": "email", "host": "127.0.0.1", "sender": "hub@example.com"}
        tidy = bound({**email, "recipients": "a@example.com;  b@example.com"})
        self.assertTrue(tidy.is_valid(), tidy.errors)
        self.assertEqual(tidy.settings_data()["recipients"], "a@example.com, b@example.com")
        self.assertEqual(tidy.settings_data()["port"], 587)
        wrong = bound({**email, "recipients": "a@example.com, the warehouse"})
        self.assertFalse(wrong.is_valid())
        self.assertIn("is not an e-mail address", wrong.errors["recipients"][0])

    def test_a_fingerprint_must_be_one(self) -> None:
        wrong = bound({**SFTP, "protocol": "ftps", "tls_fingerprint": "AB:CD"})
        self.assertFalse(wrong.is_valid())
        self.assertIn("64 hexadecimal digits", wrong.errors["tls_fingerprint"][0])


class HostCheckTests(SimpleTestCase):
    def test_names_and_public_addresses_pass(self) -> None:
        cases = {
            "FTP.Example.COM": "ftp.example.com",
            " files.example.com ": "files.example.com",
            "93.184.216.34": "93.184.216.34",
            "[2606:4700:4700::1111]": "2606:4700:4700::1111",
            "bücher.example": "bücher.example",
        }
        for typed, kept in cases.items():
            with self.subTest(host=typed):
                self.assertEqual(host_check(typed, 22), kept)

    def test_what_does_not_belong_in_a_host_is_named(self) -> None:
        cases = {
            "sftp://files.example.com": "without ftp://",
            "acme@files.example.com": "user name",
            "files.example.com/out": "folders are set separately",
            "files.example.com:2222": "the port goes in the Port field",
            "files example com": "Type a server name",
        }
        for typed, message in cases.items():
            with self.subTest(host=typed), self.assertRaisesMessage(AddressInvalid, message):
                host_check(typed, 22)

    @override_settings(HUB_OUTBOUND_ALLOW=[])
    def test_every_spelling_of_an_inside_address_is_refused(self) -> None:
        inside = (
            "127.0.0.1",
            "localhost",
            "2130706433",
            "0x7f.1",
            "[::1]",
            "::ffff:127.0.0.1",
            "10.0.0.1",
            "192.168.1.10",
            "169.254.169.254",
        )
        for typed in inside:
            refused = self.assertRaisesMessage(AddressInvalid, "only public internet addresses")
            with self.subTest(host=typed), refused:
                host_check(typed, 21)


class TransportForTests(SimpleTestCase):
    def test_each_protocol_gets_its_transport_and_port(self) -> None:
        base = {"host": "files.example.com", "username": "acme"}
        ftp = transport_for({**base, "protocol": "ftp"}, {"password": PASSWORD})
        self.assertIsInstance(ftp, FtpTransport)
        self.assertEqual((ftp.port, ftp.passive, ftp.tls), (21, True, False))
        ftps = transport_for({**base, "protocol": "ftps", "passive": False}, {})
        self.assertEqual((ftps.port, ftps.passive, ftps.tls), (21, False, True))
        sftp = transport_for({**base, "protocol": "sftp", "host_key": HOST_KEY}, {})
        self.assertIsInstance(sftp, SftpTransport)
        self.assertEqual((sftp.port, sftp.known_host_key), (22, HOST_KEY))
        email = transport_for(
            {
                **base,
                "protocol": "email",
                "security": "ssl",
                "sender": "hub@example.com",
                "recipients": ["a@example.com", "b@example.com"],
            },
            {},
        )
        self.assertIsInstance(email, EmailTransport)
        self.assertEqual((email.port, email.recipients), (465, ["a@example.com", "b@example.com"]))

    def test_settings_that_cannot_work_say_what_is_missing(self) -> None:
        with self.assertRaisesMessage(ConnectorError, "Choose how files travel"):
            transport_for({"protocol": "gopher", "host": "files.example.com"}, {})
        with self.assertRaisesMessage(ConnectorError, "server's name"):
            transport_for({"protocol": "sftp", "host": " "}, {})

    def test_no_password_shows_in_its_repr(self) -> None:
        sftp = transport_for(
            {"protocol": "sftp", "host": "files.example.com"}, {"password": PASSWORD}
        )
        self.assertNotIn(PASSWORD, repr(sftp))
