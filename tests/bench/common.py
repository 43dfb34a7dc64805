"""What every benchmark shares: the database it owns, timing, and the figures it records.

Each figure is printed as it is measured, collected for the closing table, and written to
var/bench/<name>.json as {"name", "value", "unit", "goal": {"op", "value"}, "setup"}.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from accounts.models import Account, Merchant
from carts.models import CartConnection

# SCALE=0.1 runs every benchmark at a tenth of its sizes (never below what makes it mean
# something): a quick look on a fresh clone.
SCALE = float(os.environ.get("BENCH_SCALE", "1") or 1)


def scaled(size: int, *, least: int = 1) -> int:
    return max(least, int(size * SCALE))


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def timed(function: Callable[[], object], repeat: int) -> list[float]:
    figures = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        figures.append(time.perf_counter() - started)
    return figures


def summary(figures: list[float], unit: float = 1000, label: str = "ms") -> str:
    return (
        f"min {min(figures) * unit:.1f} {label}, median {statistics.median(figures) * unit:.1f} "
        f"{label}, max {max(figures) * unit:.1f} {label} ({len(figures)} runs)"
    )


def p95(figures: list[float]) -> float:
    ordered = sorted(figures)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def peak_reset() -> None:
    """Start a new peak of this process's resident memory (Linux: clear_refs 5 resets
    VmHWM), so one benchmark's peak is not an earlier one's."""
    Path("/proc/self/clear_refs").write_text("5")


def peak_mib() -> float:
    """This process's peak resident memory since the last peak_reset(), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def machine() -> dict[str, Any]:
    """What the figures were measured on, stated with each one."""
    one, five, _ = os.getloadavg()
    return {
        "database": f"PostgreSQL {connection.pg_version // 10000} "
        f"({connection.settings_dict['NAME']})",
        "cores": os.cpu_count(),
        "load_average_1m": round(one, 2),
        "load_average_5m": round(five, 2),
        "scale": SCALE,
    }


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    goal: dict[str, Any] | None
    setup: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        if self.goal is None:
            return None
        if self.goal["op"] == ">=":
            return self.value >= self.goal["value"]
        return self.value <= self.goal["value"]


FIGURES: list[Figure] = []


def record(
    name: str,
    value: float,
    unit: str,
    *,
    goal: tuple[str, float] | None = None,
    **setup: Any,
) -> Figure:
    """Keep one figure: printed now, in the closing table, and in var/bench/<name>.json."""
    figure = Figure(
        name=name,
        value=round(value, 4),
        unit=unit,
        goal={"op": goal[0], "value": goal[1]} if goal else None,
        setup={**machine(), **setup},
    )
    FIGURES.append(figure)
    folder = Path(settings.BASE_DIR) / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(asdict(figure), indent=2, default=str))
    verdict = {True: "meets", False: "MISSES", None: "no"}[figure.met]
    goal_text = f" ({verdict} goal {goal[0]} {goal[1]:g})" if goal else ""
    say(f"   → {name} = {figure.value:g} {unit}{goal_text}")
    return figure


def table() -> str:
    """The closing table: every figure of the run, its goal, and whether it meets it."""
    rows = [("figure", "value", "unit", "goal", "")]
    for figure in FIGURES:
        goal = f"{figure.goal['op']} {figure.goal['value']:g}" if figure.goal else ""
        met = {True: "ok", False: "MISSES", None: ""}[figure.met]
        rows.append((figure.name, f"{figure.value:g}", figure.unit, goal, met))
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def fresh_database() -> None:
    database = connection.settings_dict["NAME"]
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{database}"')
    connection.close()
    call_command("migrate", verbosity=0)


def seed_orders(cart: CartConnection, count: int, *, prefix: str, statuses: list[str]) -> None:
    """`count` orders of the cart written by one INSERT (a million in seconds), ordered 20
    seconds apart from 2026-01-01, their status taken in turn from `statuses`."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO orders_order (account_id, merchant_id, cart_id, source_order_id,
                order_number, cust_ref, status, sending_canceled, partially_shipped, bill_to,
                ship_to, ship_name, email, ship_code, ship_description, wms_ship_code, currency,
                sub_total, order_discount, sales_tax, shipping_handling, grand_total, notes,
                ordered_at, created_at, updated_at, error_reason, error_code, failed_sends,
                wms_reference, raw, wms_cancel_error, cart_cancel_error)
            SELECT %(account)s, %(merchant)s, %(cart)s, n::text, '#' || n, %(prefix)s || n,
                   (%(statuses)s::text[])[1 + n %% %(kinds)s], false, false, '{}',
                   jsonb_build_object('first_name', 'Customer', 'last_name', n::text,
                       'address_1', n || ' Market St', 'city', 'Philadelphia', 'zip', '19107',
                       'country', 'US'),
                   'Customer ' || n, '', 'standard', '', 'UPS-GND', 'USD', 21, 0, 0, 0, 21, '',
                   timestamptz '2026-01-01' + n * interval '20 seconds', now(), now(), '', '',
                   0, 'SBX-' || n, '{}', '', ''
            FROM generate_series(1, %(count)s) AS n
            """,
            {
                "account": cart.account_id,
                "merchant": cart.merchant_id,
                "cart": cart.id,
                "prefix": prefix,
                "statuses": statuses,
                "kinds": len(statuses),
                "count": count,
            },
        )


def tenant(name: str) -> tuple[Account, Merchant, CartConnection]:
    account = Account.objects.create(name=name, kind="fulfillment")
    merchant = Merchant.objects.create(account=account, name=f"{name} merchant")
    cart = CartConnection.objects.create(
        account=account,
        merchant=merchant,
        connector_key="woocommerce",
        label=f"{name} cart",
        order_source=name,
        reference_prefix="B-",
    )
    return account, merchant, cart
