"""Reads of schedules and job runs for screens; the membership comes first."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Membership, Merchant
from accounts.tenancy import scoped
from carts.models import CartConnection
from jobs.models import Frequency, JobRun, ServiceSchedule
from jobs.registry import CART, MERCHANT, service_spec, services_at


def job_run_list(membership: Membership) -> QuerySet[JobRun]:
    return scoped(JobRun.objects.all(), membership).select_related("merchant", "cart")


def schedule_list(membership: Membership) -> QuerySet[ServiceSchedule]:
    return scoped(ServiceSchedule.objects.all(), membership).select_related(
        "merchant", "cart", "last_run", "account"
    )


@dataclass
class ServiceRow:
    """One service of a cart or merchant: its schedule and its last run."""

    schedule: ServiceSchedule
    last_run: JobRun | None

    @property
    def waits_for_news(self) -> bool:
        """Automatic for an event-driven service: next_run_at is only the twice-daily safety run."""
        return (
            self.schedule.frequency == Frequency.AUTOMATIC
            and not service_spec(self.schedule.service).polled
            and self.schedule.next_run_at is not None
            and self.schedule.next_run_at > timezone.now()
        )

    @property
    def due_now(self) -> bool:
        return self.schedule.next_run_at is not None and self.schedule.next_run_at <= timezone.now()


def service_rows(schedules: QuerySet[ServiceSchedule], level: str) -> list[ServiceRow]:
    """The schedules of one level's services, in the order their apps gave them."""
    by_service = {schedule.service: schedule for schedule in schedules}
    return [
        ServiceRow(schedule=by_service[spec.name], last_run=by_service[spec.name].last_run)
        for spec in services_at(level)
        if spec.name in by_service
    ]


def with_schedule_forms(rows: list[ServiceRow], *, prefix: str) -> list[ServiceRow]:
    """Give each row a bound-to-nothing ScheduleForm showing its current frequency."""
    from jobs.forms import ScheduleForm

    for row in rows:
        row.form = ScheduleForm(  # type: ignore[attr-defined]
            initial={"frequency": row.schedule.frequency, "daily_at": row.schedule.daily_at},
            auto_id=f"id_{prefix}_{row.schedule.service}_%s",
            required=service_spec(row.schedule.service).required,
        )
    return rows


def merchant_service_rows(merchant: Merchant) -> list[ServiceRow]:
    schedules = ServiceSchedule.objects.filter(merchant=merchant, cart=None).select_related(
        "last_run", "account"
    )
    return with_schedule_forms(service_rows(schedules, MERCHANT), prefix=f"m{merchant.id}")


def cart_service_rows(cart: CartConnection) -> list[ServiceRow]:
    schedules = cart.schedules.select_related("last_run", "account")
    return with_schedule_forms(service_rows(schedules, CART), prefix=f"c{cart.id}")
