"""Every signature names its key from now on (a migration of its own: PostgreSQL
will not alter a table in the transaction that just updated its rows)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("documents", "0004_signature_key_id")]

    operations = [
        migrations.AlterField(
            model_name="signature",
            name="key_id",
            field=models.CharField(max_length=32),
        ),
    ]
