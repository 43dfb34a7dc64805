"""Orders, their lines, their event history, and the shipments the WMS reports for them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account, Merchant
from carts.models import CartConnection
from jobs.models import JobRun

MONEY = {"max_digits": 14, "decimal_places": 4, "default": Decimal("0")}


class OrderStatus(models.TextChoices):
    NEW = "new", "New"
    AT_WMS = "at_wms", "At WMS"
    SHIPPED = "shipped", "Shipped"
    CONFIRMED = "confirmed", "Confirmed"
    ERROR = "error", "Error"
    CANCELED = "canceled", "Canceled"


class HoldReason(models.TextChoices):
    """Why an order is held (error) or waits (new, retried): code finds orders by these,
    never by the words of error_reason, which are for people."""

    MISSING_ADDRESS = "missing_address", "Incomplete ship-to address"
    NO_LINES = "no_lines", "Nothing to ship"
    BAD_QUANTITY = "bad_quantity", "A line without a quantity"
    UNMAPPED_SHIP_METHOD = "unmapped_ship_method", "Ship method not mapped"
    UNKNOWN_SKU = "unknown_sku", "A product the WMS does not know"
    WMS_REFUSED = "wms_refused", "Refused by the WMS"
    WMS_RETRYING = "wms_retrying", "Not taken by the WMS yet; retried"
    UNCLEAR_OUTCOME = "unclear_outcome", "Not confirmed by the WMS"
    GAVE_UP = "gave_up", "Not taken by the WMS for 15 days"


class Order(models.Model):
    """An order downloaded once from a cart, on its way to the WMS and its tracking back.

    Money follows CartRover's charge definitions: sub_total is the sum of the lines'
    extended amounts; order_discount is the post-tax discount, positive; grand_total =
    sub_total + sales_tax + shipping_handling - order_discount.
    """

    tenant_merchant_field = "merchant"
    Status = OrderStatus

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="orders")
    cart = models.ForeignKey(CartConnection, on_delete=models.CASCADE, related_name="orders")
    source_order_id = models.CharField(max_length=100)
    order_number = models.CharField(max_length=100)
    cust_ref = models.CharField("reference", max_length=40)
    status = models.CharField(max_length=12, choices=OrderStatus.choices, default=OrderStatus.NEW)
    sending_canceled = models.BooleanField(default=False)
    partially_shipped = models.BooleanField(default=False)
    # A cancel seen in the cart; an order not yet at the WMS is then never sent.
    canceled_in_cart_at = models.DateTimeField(null=True, blank=True)
    # A cancel to send to the WMS (asked by a person, or by a cancel in the cart after
    # delivery): claimed by the merchant's delivery run before the WMS is called.
    wms_cancel_requested_at = models.DateTimeField(null=True, blank=True)
    wms_cancel_started_at = models.DateTimeField(null=True, blank=True)
    wms_cancel_error = models.TextField(blank=True, default="")
    # An order the hub canceled (in the WMS) that the cart still has open: its cancel is sent
    # to the cart once (claimed by the cart's shipment upload run before the cart is called).
    cart_cancel_started_at = models.DateTimeField(null=True, blank=True)
    cart_cancel_sent_at = models.DateTimeField(null=True, blank=True)
    cart_cancel_error = models.TextField(blank=True, default="")

    # Addresses: company, first_name, last_name, address_1..3, city, state, zip, country,
    # phone, email. ship_name and email are copied out so the orders screen can search them.
    bill_to = models.JSONField(default=dict, blank=True)
    ship_to = models.JSONField(default=dict, blank=True)
    ship_name = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=254, blank=True)

    ship_code = models.CharField("cart ship code", max_length=200, blank=True)
    ship_description = models.CharField(max_length=200, blank=True)
    wms_ship_code = models.CharField("WMS ship code", max_length=100, blank=True)

    currency = models.CharField(max_length=3, default="USD")
    sub_total = models.DecimalField(**MONEY)
    order_discount = models.DecimalField(**MONEY)
    sales_tax = models.DecimalField(**MONEY)
    shipping_handling = models.DecimalField(**MONEY)
    grand_total = models.DecimalField(**MONEY)
    notes = models.TextField(blank=True, default="")

    ordered_at = models.DateTimeField()
    source_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    error_reason = models.TextField(blank=True, default="")
    error_code = models.CharField(max_length=40, blank=True, default="", choices=HoldReason.choices)
    # Delivery attempts that failed; with first_failed_at they bound the retries (15 days).
    failed_sends = models.PositiveIntegerField(default=0)
    first_failed_at = models.DateTimeField(null=True, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)
    # Written and committed before the WMS is called: an order with a start and no outcome
    # has an unknown outcome, and the WMS is asked by cust_ref before it is sent again.
    delivery_started_at = models.DateTimeField(null=True, blank=True)
    delivery_job_run = models.ForeignKey(
        JobRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A WMS that pulls orders through the API (wms/connectors/api_access.py) is shown an order
    # once the delivery run has checked it and applied the rules: it lists only these. A
    # change in the cart or by a person clears it, and the next run checks the order again.
    ready_at = models.DateTimeField(null=True, blank=True)
    wms_reference = models.CharField("WMS reference", max_length=100, blank=True)

    raw = models.JSONField("source payload", default=dict, blank=True)
    # When personal data was replaced by **PII Removed** (orders/services/personal_data.py).
    # Indexed: the removal run looks for the orders still without it.
    pii_removed_at = models.DateTimeField(
        "personal data removed", null=True, blank=True, db_index=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "source_order_id"], name="order_cart_source_unique"
            ),
            models.UniqueConstraint(fields=["account", "cust_ref"], name="order_cust_ref_unique"),
        ]
        indexes = [
            # The orders screen: keyset pagination on (ordered_at, id), newest first.
            models.Index(fields=["account", "-ordered_at", "-id"], name="order_account_recent"),
            models.Index(
                fields=["account", "status", "-ordered_at", "-id"], name="order_account_status"
            ),
            models.Index(
                fields=["account", "merchant", "-ordered_at", "-id"], name="order_account_merchant"
            ),
            models.Index(fields=["account", "order_number"], name="order_account_number"),
            models.Index(fields=["account", "source_order_id"], name="order_account_source"),
            # The orders screen's "search in": WMS reference (lines and shipments have theirs).
            models.Index(fields=["account", "wms_reference"], name="order_account_wms_ref"),
            # Delivery claims: a merchant's new orders that may be sent.
            models.Index(
                fields=["merchant", "not_before", "id"],
                condition=Q(status="new", sending_canceled=False),
                name="order_due_delivery",
            ),
            models.Index(
                fields=["merchant", "delivery_started_at"],
                condition=Q(status="at_wms") | Q(delivery_started_at__isnull=False),
                name="order_delivery_state",
            ),
        ]

    def __str__(self) -> str:
        return self.order_number

    @property
    def has_unknown_delivery(self) -> bool:
        return self.status == OrderStatus.NEW and self.delivery_started_at is not None


class OrderLine(models.Model):
    """One line of an order; price is per unit, discount per unit pre-tax, tax per line."""

    tenant_merchant_field = "merchant"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField()
    source_line_id = models.CharField(max_length=100, blank=True)
    sku = models.CharField("cart SKU", max_length=200)
    # The SKU the WMS knows, after aliases; kit components carry their own.
    wms_sku = models.CharField("WMS SKU", max_length=200, blank=True)
    description = models.CharField(max_length=500, blank=True)
    quantity = models.DecimalField(max_digits=12, decimal_places=3)
    quantity_shipped = models.DecimalField(max_digits=12, decimal_places=3, default=Decimal("0"))
    price = models.DecimalField(**MONEY)
    discount = models.DecimalField(**MONEY)
    addl_discount = models.DecimalField(**MONEY)
    tax = models.DecimalField(**MONEY)
    extended_amount = models.DecimalField(**MONEY)
    # Dropped by an item filter: kept for the record, not sent to the WMS.
    filtered = models.BooleanField(default=False)
    kit_parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="components"
    )

    class Meta:
        ordering = ["line_number", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_number"], name="order_line_unique"),
        ]
        indexes = [
            # The orders screen's search by SKU, the cart's or the WMS's.
            models.Index(fields=["account", "sku"], name="order_line_account_sku"),
            models.Index(fields=["account", "wms_sku"], name="order_line_account_wms_sku"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} × {self.quantity}"


class OrderEvent(models.Model):
    """A change to an order: when, from which status to which, by whom or which job, and why."""

    tenant_merchant_field = "merchant"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(default=timezone.now)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    job_run = models.ForeignKey(
        JobRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "created_at"], name="order_event_order")]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status or '∅'}: {self.message}"


class SkipReason(models.TextChoices):
    FILTERED = "filtered", "Filtered by the item filter"
    BEFORE_EARLIEST = "before_earliest", "Older than the earliest order date"
    STATUS = "status", "A cart status that is not downloaded"


class SkippedOrder(models.Model):
    """An order a cart sent that the hub did not load, and why: listed so nobody wonders."""

    tenant_merchant_field = "merchant"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    cart = models.ForeignKey(
        CartConnection, on_delete=models.CASCADE, related_name="skipped_orders"
    )
    source_order_id = models.CharField(max_length=100)
    order_number = models.CharField(max_length=100)
    ordered_at = models.DateTimeField(null=True, blank=True)
    reason_code = models.CharField(max_length=20, choices=SkipReason.choices)
    reason = models.TextField()
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    count = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "source_order_id"], name="skipped_order_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-last_seen_at"], name="skipped_order_account"),
        ]

    def __str__(self) -> str:
        return f"{self.order_number}: {self.get_reason_code_display()}"


class Shipment(models.Model):
    """A package the WMS shipped for an order, stored once, uploaded once to the cart."""

    tenant_merchant_field = "merchant"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    cart = models.ForeignKey(CartConnection, on_delete=models.CASCADE, related_name="shipments")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    wms_shipment_ref = models.CharField("WMS shipment id", max_length=100)
    carrier = models.CharField(max_length=100, blank=True)
    method = models.CharField(max_length=100, blank=True)
    scac = models.CharField("SCAC", max_length=10, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    tracking_url = models.URLField(max_length=500, blank=True)
    shipped_at = models.DateTimeField()
    cost = models.DecimalField(**MONEY)
    created_at = models.DateTimeField(default=timezone.now)
    uploaded_at = models.DateTimeField(null=True, blank=True)
    # The cart's id for what we created (a Shopify fulfillment id, a BigCommerce shipment id).
    upload_reference = models.CharField(max_length=100, blank=True)
    upload_error = models.TextField(blank=True, default="")
    upload_attempts = models.PositiveIntegerField(default=0)
    upload_not_before = models.DateTimeField(null=True, blank=True)
    # Set when an attempt to send it begins; still set after an attempt without a clear
    # outcome, so the next one asks the cart first.
    upload_started_at = models.DateTimeField(null=True, blank=True)
    # Taken by an upload run or helper (orders/services/shipment_upload.py), renewed before
    # each send: nobody else takes it while that run is running. A run whose process died
    # is closed by the dispatcher's reaper within a tick, and its claims are free again.
    upload_claimed_at = models.DateTimeField(null=True, blank=True)
    upload_job_run = models.ForeignKey(
        JobRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["shipped_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "wms_shipment_ref"], name="shipment_order_ref_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["cart", "upload_not_before", "id"],
                condition=Q(uploaded_at__isnull=True),
                name="shipment_pending_upload",
            ),
            models.Index(fields=["account", "order"], name="shipment_account_order"),
            models.Index(fields=["account", "tracking_number"], name="shipment_account_tracking"),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}".strip()


class ShipmentLine(models.Model):
    tenant_merchant_field = "merchant"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sku = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=12, decimal_places=3)

    def __str__(self) -> str:
        return f"{self.sku} × {self.quantity}"


class OrderStatusCount(models.Model):
    """Orders per (account, merchant, status), as of the last fold of the deltas below.

    The dashboard's open counts come from here plus the deltas not folded yet, so they cost
    the same at any number of orders (orders/status_counts.py). Only that fold writes it.
    """

    tenant_merchant_field = "merchant"

    # The unique constraint's leading column serves the account-scoped reads.
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    status = models.CharField(max_length=12, choices=OrderStatus.choices)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "merchant", "status"], name="order_status_count_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.status}: {self.count}"


class OrderStatusCountDelta(models.Model):
    """A change to OrderStatusCount, appended by the database's triggers on orders_order
    (migration 0009) and folded into it by a dispatcher chore.

    Appended, never updated: two transactions changing orders of one merchant each add
    their own rows and never wait for each other on a shared counter row. No foreign key
    constraints: deleting a merchant deletes its orders, whose triggers append deltas after
    Django has deleted the merchant's rows here; the fold drops those orphans.
    """

    tenant_merchant_field = "merchant"

    account = models.ForeignKey(
        Account, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    status = models.CharField(max_length=12, choices=OrderStatus.choices)
    delta = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.status}: {self.delta:+d}"
