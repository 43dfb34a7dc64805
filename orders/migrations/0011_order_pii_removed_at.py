from datetime import timedelta

from django.db import migrations, models
from django.utils import timezone

# The two services of the data's life (orders/jobs.py, jobs/retention.py). A new merchant
# gets their schedules from schedules_ensure_for_merchant; merchants that exist already get
# them here, spread over 12 hours so they do not all run at once after the upgrade.
SERVICES = ("personal_data_removal", "job_run_cleanup")
FREQUENCY = "12h"


def schedules_add(apps, schema_editor):
    Merchant = apps.get_model("accounts", "Merchant")
    ServiceSchedule = apps.get_model("jobs", "ServiceSchedule")
    now = timezone.now()
    for merchant in Merchant.objects.all().iterator():
        for offset, service in enumerate(SERVICES):
            if ServiceSchedule.objects.filter(
                merchant=merchant, cart=None, service=service
            ).exists():
                continue
            minutes = (merchant.id * 37 + offset * 360) % (12 * 60)
            ServiceSchedule.objects.create(
                account_id=merchant.account_id,
                merchant=merchant,
                cart=None,
                service=service,
                frequency=FREQUENCY,
                enabled=merchant.is_active,
                next_run_at=now + timedelta(minutes=minutes),
            )


def schedules_remove(apps, schema_editor):
    ServiceSchedule = apps.get_model("jobs", "ServiceSchedule")
    ServiceSchedule.objects.filter(service__in=SERVICES, cart=None).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0010_shipment_upload_claim"),
        ("accounts", "0004_data_policy"),
        ("jobs", "0003_service_choices_from_apps"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="pii_removed_at",
            field=models.DateTimeField(
                blank=True, db_index=True, null=True, verbose_name="personal data removed"
            ),
        ),
        migrations.RunPython(schedules_add, schedules_remove),
    ]
