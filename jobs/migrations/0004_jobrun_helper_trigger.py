from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0003_service_choices_from_apps"),
    ]

    operations = [
        migrations.AlterField(
            model_name="jobrun",
            name="trigger",
            field=models.CharField(
                choices=[
                    ("schedule", "Schedule"),
                    ("automatic", "Automatic"),
                    ("manual", "Manual"),
                    ("cleanup", "Cleanup"),
                    ("webhook", "Webhook"),
                    ("helper", "Helper"),
                ],
                max_length=20,
            ),
        ),
    ]
