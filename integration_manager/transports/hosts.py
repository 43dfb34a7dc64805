"""The server name a user types for a file transport, checked by the outbound guard's rules."""

from __future__ import annotations

import ipaddress
import re

from integration_manager.outbound import (
    REFUSED,
    AddressInvalid,
    address_allowed,
    addresses_if_resolvable,
)

DEFAULT_PORTS = {"ftp": 21, "ftps": 21, "sftp": 22, "email": 587}
SMTP_SSL_PORT = 465

_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?$", re.IGNORECASE)


def default_port(protocol: str, security: str = "") -> int:
    """The port a protocol's servers listen on unless told otherwise."""
    if protocol == "email" and security == "ssl":
        return SMTP_SSL_PORT
    return DEFAULT_PORTS.get(protocol, 21)


def host_check(host: str, port: int) -> str:
    """Check a server name or address before it is saved; returns it as it will be used.

    Raises AddressInvalid (integration_manager.outbound) with what to fix: a scheme, a user
    name, a folder or a port typed into it, something that is not a name or an address, or a
    host that resolves inside (loopback, private…) unless an operator allowed that network.
    A name that does not resolve now passes, as with url_check: the server may not be live
    yet, and the guard checks every address again when each connection opens.
    """
    value = host.strip()
    if "://" in value:
        raise AddressInvalid(
            "Type only the server's name, e.g. ftp.example.com, without ftp:// or sftp:// in "
            "front: the protocol and the port have fields of their own."
        )
    if "@" in value:
        raise AddressInvalid(
            "Leave the user name out of the server's name; the settings have a field for it."
        )
    if "/" in value:
        raise AddressInvalid("Type only the server's name; folders are set separately.")
    candidate = value[1:-1] if value.startswith("[") and value.endswith("]") else value
    if not _is_address(candidate) and not HOST_NAME.match(_ascii(candidate)):
        raise AddressInvalid(
            "Type a server name such as ftp.example.com, or an address such as 203.0.113.5"
            + (" (the port goes in the Port field)." if ":" in candidate else ".")
        )
    # Every spelling (2130706433, 0x7f.1, a name that points inside) is judged by what it
    # resolves to, as the guard judges it when connecting.
    addresses = addresses_if_resolvable(candidate, port)
    if addresses is not None and not all(address_allowed(address) for address in addresses):
        raise AddressInvalid(REFUSED.format(host=candidate))
    return candidate.lower()


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _ascii(name: str) -> str:
    """An international name in the form DNS uses (bücher.example → xn--bcher-kva.example)."""
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return ""
