"""The one outbound guard: every connection the hub opens to a host someone typed goes through
it (HTTP here, FTP, SFTP and SMTP through guarded_connect), so a merchant user cannot make
the server call into its own network.

A host is resolved and every address it resolves to is checked when the connection is
opened, not only when the form is saved: a name that changes its answer in between (DNS
rebinding) is caught too. The socket then connects to the checked address itself.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings

from integration_manager.connector_errors import ConnectorError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Said for every refused destination, whatever the reason: it tells nothing more about the
# host (whether it exists inside, what answers there) than that the hub will not go there.
REFUSED = (
    "The hub does not connect to {host}: only public internet addresses are allowed. Type "
    "the address the service gives you (https://…). If this is a server on your own network, "
    "ask the hub's operator to allow it."
)


class OutboundRefused(ConnectorError):
    """The guard refused a destination; nothing was sent."""


class AddressInvalid(ValueError):
    """An address a user typed that no connection may use; the message says what to fix."""


@lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values if value)


def allowed_networks() -> tuple[IPNetwork, ...]:
    """Networks an operator allowed (HUB_OUTBOUND_ALLOW): self-hosted servers, emulators."""
    return _networks(tuple(getattr(settings, "HUB_OUTBOUND_ALLOW", ())))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address hidden in an IPv6 one (mapped, 6to4, Teredo, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """True for an address on the public internet: not loopback, private, link-local,
    multicast, unspecified, reserved or shared (carrier NAT), in IPv4 or IPv6."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None and not is_public(inner):
            return False
    return address.is_global and not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
    )


def address_allowed(address: IPAddress) -> bool:
    if any(address in network for network in allowed_networks()):
        return True
    return is_public(address)


def in_allowed_network(address: IPAddress) -> bool:
    return any(address in network for network in allowed_networks())


def resolve(host: str, port: int) -> list[tuple[int, int, int, tuple]]:
    """getaddrinfo for a TCP connection, refused unless every address is allowed.

    socket.gaierror (the name does not resolve) passes through for the caller to word.
    Every spelling of an address (decimal, octal, hex, bracketed IPv6, "localhost") is
    resolved to the address it means before the check, so none slips past.
    """
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    if not addresses or not all(address_allowed(address) for address in addresses):
        raise OutboundRefused(REFUSED.format(host=host))
    return [(family, kind, proto, sockaddr) for family, kind, proto, _, sockaddr in infos]


def guarded_connect(
    host: str,
    port: int,
    *,
    timeout: float | None,
    source_address: tuple[str, int] | None = None,
    socket_options: Sequence[tuple[int, int, int | bytes]] | None = None,
) -> socket.socket:
    """socket.create_connection, to checked addresses only (for HTTP, FTP, SFTP, SMTP)."""
    failure: OSError | None = None
    for family, kind, proto, sockaddr in resolve(host, port):
        sock = socket.socket(family, kind, proto)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            if timeout is not None:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as error:
            failure = error
            sock.close()
    assert failure is not None  # resolve() returns at least one address
    raise failure


@dataclass(frozen=True)
class AddressRules:
    """What a connector allows in its address: fixed vendor hosts, plain http."""

    # fnmatch patterns, e.g. ("*.myshopify.com",); empty: any public host.
    hosts: tuple[str, ...] = ()
    # Plain http to public hosts, for a vendor whose protocol protects the credentials
    # itself. Operator-allowed networks (HUB_OUTBOUND_ALLOW: emulators, a 3PL's own LAN)
    # may always use it.
    plain_http: bool = False
    # What to tell a user whose host is not one of `hosts`.
    hosts_hint: str = ""


ANY_PUBLIC_HOST = AddressRules()


def host_matches(host: str, patterns: Iterable[str]) -> bool:
    host = host.lower().rstrip(".")
    return any(fnmatch.fnmatchcase(host, pattern.lower()) for pattern in patterns)


def addresses_if_resolvable(host: str, port: int) -> list[IPAddress] | None:
    """What a name resolves to now, or None when it does not resolve (yet)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return None
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def url_check(url: str, *, rules: AddressRules = ANY_PUBLIC_HOST) -> str:
    """Check an address a user typed, before it is saved; returns it as it will be used.

    Raises AddressInvalid with what to fix. A name that does not resolve now passes (the
    store may not be live yet); the check when a connection opens is the one that counts.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise AddressInvalid("Type a web address that starts with https://.")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise AddressInvalid("The port in this address is not a number from 1 to 65535.") from None
    if not host:
        raise AddressInvalid("Type the whole address, e.g. https://shop.example.com.")
    if parts.username or parts.password:
        raise AddressInvalid(
            "Leave the user name and password out of the address; the settings have fields "
            "for them."
        )
    port = port or (443 if scheme == "https" else 80)
    addresses = addresses_if_resolvable(host, port)
    inside = bool(addresses) and all(in_allowed_network(address) for address in addresses)
    if addresses is not None and not all(address_allowed(address) for address in addresses):
        raise AddressInvalid(REFUSED.format(host=host))
    if not inside:
        if rules.hosts and not host_matches(host, rules.hosts):
            raise AddressInvalid(rules.hosts_hint or REFUSED.format(host=host))
        if scheme == "http" and not rules.plain_http:
            raise AddressInvalid(
                "Use https://: the hub sends credentials only over an encrypted connection."
            )
    return url.strip()


def call_check(url: str, *, rules: AddressRules) -> None:
    """The same rules when a call is made (the resolved addresses are checked on connect)."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    if scheme not in ("https", "http") or not host:
        raise OutboundRefused(REFUSED.format(host=host or url[:60]))
    port = parts.port or (443 if scheme == "https" else 80)
    if (rules.hosts and not host_matches(host, rules.hosts)) or (
        scheme == "http" and not rules.plain_http
    ):
        # Only an operator-allowed network may break the connector's own rules.
        addresses = addresses_if_resolvable(host, port)
        if not addresses or not all(in_allowed_network(address) for address in addresses):
            raise OutboundRefused(REFUSED.format(host=host))
