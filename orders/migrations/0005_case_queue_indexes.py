from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_adverseevent"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="importcase",
            index=models.Index(
                fields=["-priority", "state_changed_at", "id"], name="case_queue_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="importcase",
            index=models.Index(
                fields=["status", "-priority", "state_changed_at", "id"],
                name="case_queue_state_idx",
            ),
        ),
    ]
