import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("documents", "0006_money_papers")]

    operations = [
        migrations.AddField(
            model_name="document",
            name="reused_from",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reuses",
                to="documents.document",
            ),
        ),
    ]
