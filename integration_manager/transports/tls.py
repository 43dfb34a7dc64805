"""TLS for FTPS and SMTP: a certificate verified as browsers do, or one pinned by fingerprint."""

from __future__ import annotations

import hashlib
import re
import ssl

from integration_manager.connector_errors import AuthError, ConnectorError, TransientError

_HEX = re.compile(r"^[0-9a-f]{64}$")


def fingerprint_normalize(text: str) -> str:
    """A SHA-256 certificate fingerprint as 64 lower-case hex digits ("" for none).

    Takes what people paste: "AB:CD:…", plain hex, or OpenSSL's whole line
    ("sha256 Fingerprint=AB:CD:…"). Raises ValueError for anything else.
    """
    value = text.strip()
    if "=" in value:
        value = value.split("=", 1)[1]
    value = re.sub(r"[\s:]", "", value).lower()
    if value and not _HEX.match(value):
        raise ValueError(
            "A certificate fingerprint is 64 hexadecimal digits (SHA-256), as "
            "openssl x509 -noout -fingerprint -sha256 shows it."
        )
    return value


def fingerprint_of(certificate: bytes) -> str:
    """The SHA-256 fingerprint of a DER certificate, as OpenSSL shows it (AB:CD:…)."""
    digest = hashlib.sha256(certificate).hexdigest().upper()
    return ":".join(digest[index : index + 2] for index in range(0, len(digest), 2))


def client_context(pinned: str) -> ssl.SSLContext:
    """Verify the server's certificate and name, or, with a pinned fingerprint, take exactly
    that certificate (pin_check) and no other: a self-signed server a person vouched for."""
    context = ssl.create_default_context()
    if pinned:
        # The pin replaces the chain and name check; pin_check runs before anything is sent.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def pin_check(connection: ssl.SSLSocket, pinned: str, *, host: str) -> None:
    """Refuse a TLS connection whose certificate is not the pinned one (no pin: nothing to do)."""
    if not pinned:
        return
    certificate = connection.getpeercert(binary_form=True)
    if certificate is None or hashlib.sha256(certificate).hexdigest() != pinned:
        connection.close()
        raise AuthError(
            f"The certificate of {host} is not the one trusted in the settings, so the hub sent "
            "nothing. If the server's administrator confirms its certificate was replaced, "
            "paste the new fingerprint; otherwise someone may be between the hub and the server."
        )


def certificate_refused(error: ssl.SSLError, *, host: str) -> ConnectorError:
    """Words for a TLS failure: a certificate that does not verify needs a person (trust it
    by fingerprint, or fix it); any other TLS failure is retried."""
    if isinstance(error, ssl.SSLCertVerificationError):
        # OpenSSL's own reason ("self-signed certificate", "certificate has expired"…), made
        # here from the certificate, not text the server chose.
        reason = error.verify_message or "not trusted"
        return ConnectorError(
            f"The certificate of {host} could not be verified ({reason}), so the hub sent "
            "nothing. If the server uses its own (self-signed) certificate, ask its "
            "administrator for the certificate's SHA-256 fingerprint and paste it into "
            "'Trusted certificate fingerprint'; otherwise the server's certificate needs fixing."
        )
    return TransientError(
        f"The encrypted (TLS) connection to {host} failed before the login. The hub will try "
        "again; if this keeps happening, check the protocol and port in the settings."
    )
