"""Each signature names the key that sealed it (settings.NPP_SIGNING_KEYS). Every
signature made before was sealed with the key derived from SECRET_KEY: "legacy"."""

from django.db import migrations, models

LEGACY = "legacy"


def name_the_legacy_key(apps, schema_editor):
    Signature = apps.get_model("documents", "Signature")
    Signature.objects.filter(key_id__isnull=True).update(key_id=LEGACY)


class Migration(migrations.Migration):
    dependencies = [("documents", "0003_signatures")]

    operations = [
        migrations.AddField(
            model_name="signature",
            name="key_id",
            field=models.CharField(max_length=32, null=True),
        ),
        migrations.RunPython(name_the_legacy_key, migrations.RunPython.noop),
    ]
