"""Where an edited format is kept: a setting of a WMS or cart connection, named by a signed link."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse

from accounts.models import Membership
from accounts.tenancy import scoped
from carts.models import CartConnection
from csvfiles.formats import DIRECTIONS, CsvFormat, FormatInvalid, format_from_settings
from wms.models import WmsConnection

SALT = "csvfiles.format-target"
CONNECTIONS = {"wms": WmsConnection, "cart": CartConnection}
# Who may change a connection's file format: whoever may change its credentials.
PERMISSIONS = {"wms": "can_manage_wms", "cart": "can_edit_credentials"}

Connection = WmsConnection | CartConnection


@dataclass(frozen=True)
class FormatTarget:
    """A connection's setting that holds a format, as a connector's setup page names it.

    The link is signed so nobody can point the editor at another setting (a base URL, a
    folder); whose connection it is gets checked on every request, so a link that reached
    someone else is a 404 for them.
    """

    connection_kind: str  # "wms" or "cart"
    connection_id: int
    setting_key: str  # e.g. "order_format"
    direction: str  # orders, shipments or inventory
    title: str = ""  # what the page calls the file, e.g. "Order file"
    back_url: str = ""  # where Save and Cancel go: the connection's setup page
    reads: bool = False  # the connection reads files in this format (not only writes them)


def csv_format_link(
    *,
    connection_kind: str,
    connection_id: int,
    setting_key: str,
    direction: str,
    title: str = "",
    back_url: str = "",
    reads: bool = False,
) -> str:
    """The editor's address for one setting of one connection (for its setup page)."""
    if connection_kind not in CONNECTIONS or direction not in DIRECTIONS:
        raise ValueError(f"no format editor for {connection_kind} {direction}")
    if back_url and not back_url.startswith("/"):
        raise ValueError("back_url is a path on this site")
    target = FormatTarget(
        connection_kind, connection_id, setting_key, direction, title, back_url, reads
    )
    token = signing.dumps(asdict(target), salt=SALT, compress=True)
    return reverse("csv_format_edit", args=[token])


def csv_format_target(token: str) -> FormatTarget:
    """The target a link names; a link that was not made here is a 404."""
    try:
        return FormatTarget(**signing.loads(token, salt=SALT))
    except (signing.BadSignature, TypeError):
        raise Http404("No such file format") from None


def csv_format_connection(membership: Membership, target: FormatTarget) -> Connection:
    """The connection, if it is the member's: a foreign one is a 404; a role that may not
    change it is refused."""
    queryset = scoped(CONNECTIONS[target.connection_kind].objects.all(), membership)
    connection = get_object_or_404(queryset, id=target.connection_id)
    if not getattr(membership, PERMISSIONS[target.connection_kind]):
        raise PermissionDenied("Your role does not allow changing this connection.")
    return connection


def csv_format_load(connection: Connection, target: FormatTarget) -> tuple[CsvFormat, str]:
    """The saved format (the direction's default when none is saved), and a sentence when
    the saved one could not be used."""
    try:
        return format_from_settings(connection.settings, target.setting_key, target.direction), ""
    except FormatInvalid as problem:
        fallback = format_from_settings({}, target.setting_key, target.direction)
        return fallback, f"The saved format could not be used ({problem}); this is the default."


@transaction.atomic
def csv_format_save(*, connection: Connection, target: FormatTarget, fmt: CsvFormat) -> None:
    """Store the format in the connection's setting; its other settings stay as they are."""
    if fmt.direction != target.direction:
        raise ValueError(f"a {fmt.direction} format cannot go in {target.setting_key}")
    # Locked: two formats of one connection saved at the same moment (its order file and
    # its shipment file, say) both stay.
    locked = type(connection).objects.select_for_update().get(id=connection.id)
    locked.settings = {**locked.settings, target.setting_key: fmt.as_dict()}
    locked.save(update_fields=["settings", "updated_at"])
