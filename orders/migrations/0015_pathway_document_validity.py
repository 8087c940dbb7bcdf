"""How long a document stays valid for a resupply, per pathway; India's values."""

from django.db import migrations, models

# The prescription as long as the pathway accepts a prescription at verification
# (prescription_validity_days); the identity copy and the consent as the service's
# policy sets them. Data: a coordinator changes them in the admin.
INDIA = {"prescription": 90, "patient_identity": 365, "patient_consent": 180}


def load(apps, schema_editor):
    # The field was added just above: empty on every pathway until now.
    apps.get_model("orders", "Pathway").objects.filter(code="IN-12A").update(
        document_validity_days=INDIA
    )


class Migration(migrations.Migration):
    dependencies = [("orders", "0014_aurinia_address")]

    operations = [
        migrations.AddField(
            model_name="pathway",
            name="document_validity_days",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="{document kind: days}: how long an accepted document stays valid for a resupply, counted from its original date (a prescription from the date it was written); a resupply reuses it within that time instead of asking again. A kind not listed is always asked for again.",
            ),
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
