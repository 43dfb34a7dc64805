"""The list endpoints' query: a status filter with its own date per status (§1.12), paging."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from api.envelope import INVALID, ApiError
from orders.models import Order, OrderStatus

DEFAULT_LIMIT, MAX_LIMIT = 20, 100

# Each status: which orders, and the date from_date and to_date filter on.
STATUS_FILTERS: dict[str, tuple[Q, str]] = {
    "new": (Q(status=OrderStatus.NEW), "created_at"),
    "at_wms": (Q(status=OrderStatus.AT_WMS), "delivered_at"),
    "new_or_at_wms": (Q(status__in=[OrderStatus.NEW, OrderStatus.AT_WMS]), "created_at"),
    "partial": (Q(status=OrderStatus.SHIPPED, partially_shipped=True), "shipped_at"),
    "shipped": (Q(status=OrderStatus.SHIPPED, partially_shipped=False), "shipped_at"),
    "confirmed": (Q(status=OrderStatus.CONFIRMED), "confirmed_at"),
    "shipped_or_confirmed": (
        Q(status__in=[OrderStatus.SHIPPED, OrderStatus.CONFIRMED]),
        "shipped_at",
    ),
    # The hub keeps no separate time for these: the last change is when it happened.
    "error": (Q(status=OrderStatus.ERROR), "updated_at"),
    "canceled": (Q(status=OrderStatus.CANCELED), "updated_at"),
    "any": (Q(), "created_at"),
}
INCLUDE_FLAGS = (
    "include_filtered_items",
    "include_order_extras",
    "include_line_extras",
    "include_aliases",
)


def page_params(request: HttpRequest) -> tuple[int, int]:
    """limit (default 20; over 100 is taken as 100) and page (from 1)."""
    values = []
    for name, default in (("limit", DEFAULT_LIMIT), ("page", 1)):
        raw = request.GET.get(name, "").strip() or str(default)
        if not raw.isdigit() or int(raw) < 1:
            raise ApiError(INVALID, f"{name} must be a whole number from 1, not {raw[:20]!r}.")
        values.append(int(raw))
    return min(values[0], MAX_LIMIT), values[1]


def page_of(rows: QuerySet | list, request: HttpRequest) -> list:  # type: ignore[type-arg]
    limit, page = page_params(request)
    start = (page - 1) * limit
    return list(rows[start : start + limit])


def include_flags(request: HttpRequest) -> dict[str, bool]:
    return {name: request.GET.get(name, "N").strip().upper() == "Y" for name in INCLUDE_FLAGS}


def orders_by_status(
    orders: QuerySet[Order], *, status: str, request: HttpRequest
) -> QuerySet[Order]:
    """The orders of a list call: status, from_date and to_date on that status's date,
    order_source; oldest first, so paging is stable while new orders arrive."""
    if status not in STATUS_FILTERS:
        raise ApiError(
            INVALID, f"Unknown status {status[:30]!r}: use one of {', '.join(STATUS_FILTERS)}."
        )
    condition, date_field = STATUS_FILTERS[status]
    orders = orders.filter(condition)
    start = _moment(request.GET.get("from_date"), name="from_date", end=False)
    end = _moment(request.GET.get("to_date"), name="to_date", end=True)
    if start is not None:
        orders = orders.filter(**{f"{date_field}__gte": start})
    if end is not None:
        orders = orders.filter(**{f"{date_field}__lt": end})
    source = request.GET.get("order_source", "").strip()
    if source:
        orders = orders.filter(cart__order_source=source)
    return orders.order_by(date_field, "id")


def _moment(value: str | None, *, name: str, end: bool) -> datetime | None:
    """A timestamp with a zone as is; a date as the start of that day in UTC (to_date: the
    start of the next, so the day is included)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        # A date first: parse_datetime would take "2026-11-01" as its midnight.
        day = parse_date(value)
        moment = None if day else parse_datetime(value)
    except ValueError:
        day = moment = None
    if moment is not None:
        return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)
    if day is None:
        raise ApiError(
            INVALID,
            f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 time (encode + as %2B).",
        )
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start + timedelta(days=1) if end else start
