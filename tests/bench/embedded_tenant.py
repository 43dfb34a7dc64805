"""The embedded hub's side of the loop benchmark's set-up, run by tests/bench/embedded.py in
that hub's environment (its SQLite file, its file broker, its keys): the merchant and its
sandbox WMS at once, the WooCommerce cart when the benchmark's clock has started.

`python -m tests.bench.embedded_tenant '{"base_url": …}' NAME`; it answers one JSON line on
stdout for each step and reads one line on stdin before the cart (end of input: no cart)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

from tests.bench.workers import SandboxLoop


@dataclass(frozen=True)
class StoreAddress:
    """What the hub is told about the benchmark's store (tests/objects.py
    create_woocommerce_cart reads these); the store itself runs in the benchmark process."""

    base_url: str
    consumer_key: str
    consumer_secret: str
    webhook_secret: str


def _answer(fields: dict[str, int]) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def main() -> None:
    store = StoreAddress(**json.loads(sys.argv[1]))
    loop = SandboxLoop(sys.argv[2], store=store)
    loop.create_tenant()
    _answer({"account": loop.account.id})
    # The cart's first download starts as it is made: it waits for the benchmark's clock.
    if sys.stdin.readline().strip() != "connect":
        return
    cart = loop.connect_cart()
    _answer({"cart": cart.id})


if __name__ == "__main__":
    main()
