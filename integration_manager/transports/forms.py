"""The transport part of a connector's settings form: server, login, keys and e-mail fields."""

from __future__ import annotations

from typing import Any

from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from integration_manager.connector_errors import AuthError
from integration_manager.connectors import ConnectorSettingsForm
from integration_manager.outbound import AddressInvalid
from integration_manager.text import validate_single_line
from integration_manager.transports import (
    PROTOCOLS,
    TRANSPORT_ADDRESS_FIELDS,
    TRANSPORT_SECRET_FIELDS,
    recipients_split,
)
from integration_manager.transports.hosts import default_port, host_check
from integration_manager.transports.sftp import private_key_load
from integration_manager.transports.tls import fingerprint_normalize

NO_HOST_KEY_YET = "SFTP. None yet: the first successful connection keeps the server's key."


class SecretTextarea(forms.Textarea):
    """A text area that never shows what it holds: a pasted key is not sent back to the page,
    not even when the form comes back with an error."""

    def format_value(self, value: Any) -> None:
        return None


class TransportSettingsForm(ConnectorSettingsForm):
    """Where files travel: subclass it in a connector's settings form and add the
    connector's own fields (folders, file names); compose the layout from
    transport_fieldsets(). The connector declares TRANSPORT_SECRET_FIELDS and
    TRANSPORT_ADDRESS_FIELDS (the form adds them if it did not).

    The host key is shown, not typed: the connector saves transport.host_key_seen after
    the first successful connection. Changing the protocol, host or port forgets it (and
    the saved password and key), and so does ticking "Accept a new host key".
    """

    protocol = forms.ChoiceField(choices=list(PROTOCOLS.items()), initial="sftp")
    host = forms.CharField(
        max_length=253,
        label="Server",
        help_text="The server's name or address, such as ftp.example.com; no ftp:// in front.",
    )
    port = forms.IntegerField(
        min_value=1,
        max_value=65535,
        required=False,
        help_text="Leave blank for the usual one: SFTP 22, FTP and FTPS 21, e-mail 587 "
        "(465 with SSL).",
    )
    username = forms.CharField(
        max_length=200, required=False, label="User name", validators=[validate_single_line]
    )
    password = forms.CharField(max_length=500, required=False)
    private_key = forms.CharField(
        required=False,
        label="SSH private key",
        help_text="SFTP only, instead of a password: the whole private key (OpenSSH or PEM; "
        "Ed25519, ECDSA or RSA), from -----BEGIN to -----END.",
    )
    private_key_passphrase = forms.CharField(
        max_length=500,
        required=False,
        label="Key passphrase",
        help_text="Only if the private key is protected by one.",
    )
    passive = forms.BooleanField(
        required=False,
        initial=True,
        label="Passive mode",
        help_text="FTP and FTPS. Keep it on unless the server's administrator asks for active "
        "mode; active mode rarely passes firewalls.",
    )
    tls_fingerprint = forms.CharField(
        max_length=200,
        required=False,
        label="Trusted certificate fingerprint",
        help_text="FTPS and e-mail, for a server with its own (self-signed) certificate only: "
        "its SHA-256 fingerprint, from the server's administrator. Leave blank to verify the "
        "certificate as browsers do.",
    )
    host_key = forms.CharField(
        required=False,
        disabled=True,
        label="Server's host key",
        help_text="SFTP. Kept from the first successful connection; any other key is refused.",
    )
    host_key_reset = forms.BooleanField(
        required=False,
        label="Accept a new host key",
        help_text="Tick only when the server's administrator confirms the server's key "
        "changed: the next connection's key is then kept instead.",
    )
    security = forms.ChoiceField(
        choices=[("starttls", "STARTTLS (usually port 587)"), ("ssl", "SSL (usually port 465)")],
        initial="starttls",
        required=False,
        label="E-mail security",
    )
    sender = forms.EmailField(required=False, label="From", help_text="E-mail only.")
    recipients = forms.CharField(
        max_length=1000,
        required=False,
        label="To",
        help_text="E-mail only: the addresses that receive the files, separated by commas.",
    )
    subject = forms.CharField(
        max_length=200,
        required=False,
        validators=[validate_single_line],
        help_text="E-mail only. {name} becomes the file name; blank sends the file name alone.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["secret_fields"] = _union(kwargs.get("secret_fields", ()), TRANSPORT_SECRET_FIELDS)
        kwargs["address_fields"] = _union(
            kwargs.get("address_fields", ()), TRANSPORT_ADDRESS_FIELDS
        )
        super().__init__(*args, **kwargs)
        # A key has line breaks, which a password box drops; this box never shows it back.
        placeholder = self.fields["private_key"].widget.attrs.get("placeholder")
        self.fields["private_key"].widget = SecretTextarea(
            attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"}
            | ({"placeholder": placeholder} if placeholder else {})
        )
        if not self.initial.get("host_key"):
            self.fields["host_key"].help_text = NO_HOST_KEY_YET
        self.helper.layout = Layout(*self.transport_fieldsets())

    def transport_fieldsets(self) -> list[Fieldset]:
        """This form's fields in groups, for a subclass's layout to start with; a group that
        matters for some protocols only is shown with them (static/js/hub.js)."""
        return [
            Fieldset("Server", "protocol"),
            self.for_protocols(("sftp", "ftps", "ftp", "email"), "", "host", "port"),
            self.for_protocols(("sftp", "ftps", "ftp", "email"), "Login", "username", "password"),
            self.for_protocols(("sftp",), "SSH key", "private_key", "private_key_passphrase"),
            self.for_protocols(("ftps", "ftp"), "FTP and FTPS", "passive"),
            self.for_protocols(("ftps", "email"), "Certificate", "tls_fingerprint"),
            self.for_protocols(("sftp",), "Host key", "host_key", "host_key_reset"),
            self.for_protocols(("email",), "E-mail", "security", "sender", "recipients", "subject"),
        ]

    def for_protocols(self, protocols: tuple[str, ...], legend: str, *fields: str) -> Fieldset:
        """A group of fields shown only while the protocol is one of these."""
        shown_for = f"{self.add_prefix('protocol')}={','.join(protocols)}"
        return Fieldset(legend, *fields, data_shown_for=shown_for)

    def settings_data(self) -> dict[str, Any]:
        data = super().settings_data()
        data.pop("host_key_reset", None)
        return data

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        protocol = cleaned.get("protocol")
        if not protocol:
            return cleaned
        self._clean_address(cleaned, protocol)
        self._clean_fingerprint(cleaned)
        if protocol == "email":
            self._clean_email(cleaned)
        else:
            self._clean_login(cleaned, protocol)
        if protocol != "sftp" or cleaned.get("host_key_reset") or self.address_changed():
            cleaned["host_key"] = ""
        return cleaned

    def _clean_address(self, cleaned: dict[str, Any], protocol: str) -> None:
        # Stored as it shows, so a form saved again without a change changes nothing.
        cleaned["security"] = cleaned.get("security") or "starttls"
        port = cleaned.get("port") or default_port(protocol, cleaned["security"])
        cleaned["port"] = port
        host = cleaned.get("host")
        if not host:
            return
        try:
            cleaned["host"] = host_check(host, port)
        except AddressInvalid as problem:
            self.add_error("host", str(problem))

    def _clean_fingerprint(self, cleaned: dict[str, Any]) -> None:
        try:
            fingerprint_normalize(cleaned.get("tls_fingerprint") or "")
        except ValueError as problem:
            self.add_error("tls_fingerprint", str(problem))

    def _clean_login(self, cleaned: dict[str, Any], protocol: str) -> None:
        if not cleaned.get("username"):
            self.add_error("username", "Type the user name the server's administrator gave you.")
        if cleaned.get("private_key"):
            self._clean_private_key(cleaned)
        if protocol == "sftp" and self._has_secret(cleaned, "private_key"):
            return
        if not self._has_secret(cleaned, "password"):
            self.add_error("password", self._secret_missing("password"))

    def _clean_private_key(self, cleaned: dict[str, Any]) -> None:
        passphrase = cleaned.get("private_key_passphrase") or ""
        if not passphrase and "private_key_passphrase" in self.saved_secrets:
            return  # the saved passphrase is not ours to read here; the test will tell
        try:
            private_key_load(cleaned["private_key"], passphrase)
        except AuthError as problem:
            field = "private_key_passphrase" if "passphrase" in str(problem) else "private_key"
            self.add_error(field, str(problem))

    def _clean_email(self, cleaned: dict[str, Any]) -> None:
        if not cleaned.get("sender"):
            self.add_error("sender", "Type the address the e-mails come from.")
        addresses = recipients_split(cleaned.get("recipients") or "")
        if not addresses:
            self.add_error("recipients", "Type at least one address to send the files to.")
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                self.add_error("recipients", f"{address} is not an e-mail address.")
        cleaned["recipients"] = ", ".join(addresses)
        if cleaned.get("username") and not self._has_secret(cleaned, "password"):
            self.add_error("password", self._secret_missing("password"))

    def _has_secret(self, cleaned: dict[str, Any], name: str) -> bool:
        """Typed now, or saved and still going to the server it was typed for."""
        if cleaned.get(name):
            return True
        return name in self.saved_secrets and not self.address_changed()

    def _secret_missing(self, name: str) -> str:
        label = self.fields[name].label or name
        if name in self.saved_secrets:
            return (
                f"The saved {label.lower()} was cleared because the server changed: saved "
                "credentials only ever go where they were typed for. Type it again."
            )
        return f"Type the {label.lower()} for this login."


def _union(first: Any, second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *second)))
