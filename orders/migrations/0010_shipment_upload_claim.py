from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0009_order_status_counts"),
    ]

    operations = [
        migrations.AddField(
            model_name="shipment",
            name="upload_claimed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
