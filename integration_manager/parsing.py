"""Money and dates as carts and warehouses send them, read one way everywhere: amounts as
Decimal (never through a float), moments as aware UTC datetimes."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

ZERO = Decimal("0")


def parse_amount(value: Any) -> Decimal:
    """A money amount (a decimal string, sometimes a number) as a Decimal; empty is zero.
    ValueError for anything that is not a finite number."""
    if value is None or value == "":
        return ZERO
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r:.40}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r:.40}") from None
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r:.40}")
    return amount


def parse_text(value: Any) -> str:
    """A text field as text: a string, or a number some APIs send in its place; "" when it is
    missing. TypeError for an object, a list or a flag, which a text field never is (passing
    one on would fail later, where the order is stored, and take its page with it)."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise TypeError(f"not text: {value!r:.40}")
    return str(value)


def parse_iso_datetime(value: Any, *, naive_is_utc: bool = True) -> datetime:
    """An ISO 8601 moment ("2026-11-20T12:00:00Z", "…+02:00", or with no offset, which
    means UTC unless said otherwise) as an aware UTC datetime. ValueError when unreadable."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"not a date: {value!r:.40}")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        # Python's own message repeats the whole text, however long it is.
        raise ValueError(f"not a date: {value!r:.40}") from None
    if parsed.tzinfo is None:
        if not naive_is_utc:
            raise ValueError(f"a date without a time zone: {value!r:.40}")
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_rfc2822_datetime(value: Any) -> datetime:
    """An e-mail style moment ("Tue, 05 Mar 2019 21:40:11 +0000") as an aware UTC datetime;
    "-0000" (UTC, source unknown) counts as UTC. ValueError when unreadable."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"not a date: {value!r:.40}")
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"not a date: {value!r:.40}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def whole_second(moment: datetime) -> datetime:
    """The moment in UTC without its fraction: most APIs keep and filter on seconds."""
    return moment.astimezone(UTC).replace(microsecond=0)


def format_utc(moment: datetime, *, offset: bool = True) -> str:
    """ISO 8601 in UTC to the second, with "+00:00" or (offset=False) with none."""
    utc = whole_second(moment)
    return utc.isoformat() if offset else utc.replace(tzinfo=None).isoformat()
