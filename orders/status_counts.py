"""The order counts kept by triggers (migration 0009): reading them, and folding the deltas."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import QuerySet, Sum

from orders.models import OrderStatusCount, OrderStatusCountDelta

# The first half of the fold's advisory lock key ("stat"); the second names the fold.
STATUS_COUNTS_LOCK = 0x73746174


def order_status_counts(
    *, totals: QuerySet[OrderStatusCount], deltas: QuerySet[OrderStatusCountDelta]
) -> dict[tuple[int, str], int]:
    """Orders per (merchant id, status): the folded totals plus the deltas not folded yet.

    One statement, so both parts are read from one snapshot: a fold that commits meanwhile
    is seen wholly or not at all, never counted twice or missed.
    """
    folded = totals.order_by().values_list("merchant_id", "status", "count")
    pending = (
        deltas.order_by()
        .values("merchant_id", "status")
        .annotate(change=Sum("delta"))
        .values_list("merchant_id", "status", "change")
    )
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for merchant_id, status, count in folded.union(pending, all=True):
        counts[(merchant_id, status)] += count
    return dict(counts)


def order_status_counts_chore(now: datetime) -> None:
    """The dispatcher tick's chore: fold the deltas, so a read sums only a tick's worth."""
    order_status_counts_fold()


def order_status_counts_fold(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Move the deltas into the totals; deltas of a deleted merchant are dropped."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Of two dispatchers ticking at once, one folds; the other has nothing to do.
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, 1)", [STATUS_COUNTS_LOCK])
            if cursor.fetchone()[0]:
                cursor.execute(POSTGRESQL_FOLD)
        else:
            _sqlite_fold(cursor)


# One statement: it deletes exactly the deltas it adds up. Deltas committed after its
# snapshot, or not committed yet, stay for the next fold (separate statements could delete
# a delta committed between them without adding it).
POSTGRESQL_FOLD = """
    WITH folded AS (
        DELETE FROM orders_orderstatuscountdelta
        RETURNING account_id, merchant_id, status, delta
    )
    INSERT INTO orders_orderstatuscount AS total (account_id, merchant_id, status, count)
    SELECT folded.account_id, folded.merchant_id, folded.status, sum(folded.delta)
    FROM folded JOIN accounts_merchant AS merchant ON merchant.id = folded.merchant_id
    GROUP BY folded.account_id, folded.merchant_id, folded.status
    ON CONFLICT (account_id, merchant_id, status)
    DO UPDATE SET count = total.count + excluded.count
"""


def _sqlite_fold(cursor: CursorWrapper) -> None:
    # SQLite has no DELETE … RETURNING inside a WITH; its writers take turns (the
    # transaction holds the write lock), so three statements see the same deltas.
    cursor.execute("SELECT max(id) FROM orders_orderstatuscountdelta")
    (last,) = cursor.fetchone()
    if last is None:
        return
    cursor.execute(SQLITE_FOLD, [last])
    cursor.execute("DELETE FROM orders_orderstatuscountdelta WHERE id <= %s", [last])


SQLITE_FOLD = """
    INSERT INTO orders_orderstatuscount AS total (account_id, merchant_id, status, count)
    SELECT delta.account_id, delta.merchant_id, delta.status, sum(delta.delta)
    FROM orders_orderstatuscountdelta AS delta
    JOIN accounts_merchant AS merchant ON merchant.id = delta.merchant_id
    WHERE delta.id <= %s
    GROUP BY delta.account_id, delta.merchant_id, delta.status
    ON CONFLICT (account_id, merchant_id, status)
    DO UPDATE SET count = total.count + excluded.count
"""
