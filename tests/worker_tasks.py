"""Tasks only the worker tests load (celery worker -I tests.worker_tasks): two workers store
the same download page at the same moment; a slow task and a marker for broker faults."""

from __future__ import annotations

import threading

import redis
from celery import shared_task
from django.conf import settings

from orders.jobs import ORDER_DOWNLOAD


@shared_task(name="tests.store_page_together", acks_late=True)
def store_page_together(
    *, cart_id: int, numbers: list[int], barrier_key: str, parties: int
) -> None:
    from carts.models import CartConnection
    from integration_manager.records import OrderPage
    from orders.services.download import order_page_store
    from tests.objects import order_record, recorder

    cart = CartConnection.objects.select_related("merchant").get(id=cart_id)
    run = recorder(merchant=cart.merchant, service=ORDER_DOWNLOAD, cart=cart)
    page = OrderPage(
        orders=[order_record(number, skus=("A", "B")) for number in numbers], cursor="x"
    )
    # Both workers arrive before either writes: the race the upsert has to win.
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.incr(barrier_key)
    arrived = threading.Event()
    for _ in range(200):
        if int(client.get(barrier_key) or 0) >= parties:
            break
        arrived.wait(0.05)
    order_page_store(cart=cart, page=page, run=run)
    client.incr(f"{barrier_key}:done")


@shared_task(name="tests.busy", acks_late=True)
def busy(*, seconds: float) -> None:
    """Keeps a message unacknowledged while the broker goes away."""
    threading.Event().wait(seconds)


@shared_task(name="tests.marker", acks_late=True)
def marker(*, key: str) -> None:
    """Proves the worker still consumes: sets a key in the broker's Redis."""
    redis.Redis.from_url(settings.CELERY_BROKER_URL).set(key, 1)
