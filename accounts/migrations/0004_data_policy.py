import django.core.validators
from django.db import migrations, models

VALIDATORS = [
    django.core.validators.MinValueValidator(1),
    django.core.validators.MaxValueValidator(3650),
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_order_rules"),
    ]

    operations = [
        migrations.AddField(
            model_name="account",
            name="personal_data_days",
            field=models.PositiveIntegerField(
                db_default=90,
                default=90,
                validators=VALIDATORS,
                verbose_name="days before personal data is removed",
            ),
        ),
        migrations.AddField(
            model_name="account",
            name="job_runs_kept_days",
            field=models.PositiveIntegerField(
                db_default=30,
                default=30,
                validators=VALIDATORS,
                verbose_name="days successful job runs are kept",
            ),
        ),
        migrations.AddField(
            model_name="account",
            name="failed_job_runs_kept_days",
            field=models.PositiveIntegerField(
                db_default=180,
                default=180,
                validators=VALIDATORS,
                verbose_name="days failed job runs are kept",
            ),
        ),
    ]
