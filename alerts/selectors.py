"""Reads for the alert screens and the dashboard: the membership first, through scoped()."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from accounts.models import Membership
from accounts.tenancy import scoped
from alerts.models import Alert, AlertKind, AlertRecipient

# The resolved alerts the screen lists: recent enough to explain what happened.
RESOLVED_SHOWN_FOR = timedelta(days=30)


@dataclass(frozen=True)
class KindCount:
    kind: str
    label: str
    count: int


def alert_list(
    membership: Membership, *, state: str = "open", kind: str = "", merchant_id: int | None = None
) -> QuerySet[Alert]:
    """Alerts the member may see (a merchant user: their merchant's), open or recently
    resolved, of one kind or merchant if asked."""
    alerts = scoped(Alert.objects.all(), membership)
    if state == "resolved":
        since = timezone.now() - RESOLVED_SHOWN_FOR
        alerts = alerts.filter(resolved_at__gte=since).order_by("-resolved_at", "-id")
    else:
        alerts = alerts.filter(resolved_at=None).order_by("-last_seen_at", "-id")
    if kind:
        alerts = alerts.filter(kind=kind)
    if merchant_id is not None:
        alerts = alerts.filter(merchant_id=merchant_id)
    return alerts.select_related("merchant", "cart", "resolved_by")


def alert_open_count(membership: Membership) -> int:
    """What the dashboard and the alerts page both call the open alerts: the same query."""
    return alert_list(membership).count()


def alert_counts_by_kind(alerts: QuerySet[Alert]) -> list[KindCount]:
    """How many of these alerts there are of each kind, the most first."""
    labels = dict(AlertKind.choices)
    rows = alerts.order_by().values("kind").annotate(count=Count("id"))
    counts = [
        KindCount(row["kind"], labels.get(row["kind"], row["kind"]), row["count"]) for row in rows
    ]
    return sorted(counts, key=lambda row: (-row.count, row.label))


def alert_recipient_list(membership: Membership) -> QuerySet[AlertRecipient]:
    return scoped(AlertRecipient.objects.select_related("merchant"), membership).order_by("email")
