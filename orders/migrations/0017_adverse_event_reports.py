"""Side-effect reports sent on a CIOMS I form and acknowledged by the manufacturer;
the reference supplier's pharmacovigilance address."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


AURINIA_PHARMACOVIGILANCE = "drug.safety@aurinia.example"


def load(apps, schema_editor):
    apps.get_model("orders", "Supplier").objects.filter(
        name="Aurinia Pharmaceuticals Inc.", safety_contact_email=""
    ).update(safety_contact_email=AURINIA_PHARMACOVIGILANCE)


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0009_adverse_event_report_kind"),
        ("orders", "0016_carrier"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="adverseevent",
            name="acknowledged_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="adverseevent",
            name="acknowledged_on",
            field=models.DateField(
                blank=True, help_text="The day the manufacturer confirmed receipt.", null=True
            ),
        ),
        migrations.AddField(
            model_name="adverseevent",
            name="manufacturer_reference",
            field=models.CharField(
                blank=True,
                help_text="The manufacturer's own case number, if given.",
                max_length=100,
            ),
        ),
        migrations.AddField(
            model_name="adverseevent",
            name="report_document",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="documents.document",
            ),
        ),
        migrations.AlterField(
            model_name="adverseevent",
            name="due_on",
            field=models.DateField(help_text="The manufacturer has it, acknowledged, by."),
        ),
        migrations.AlterField(
            model_name="supplier",
            name="safety_contact_email",
            field=models.EmailField(
                blank=True,
                help_text="Where side-effect reports (CIOMS I) are sent: the supplier's drug safety (pharmacovigilance) address.",
                max_length=254,
                verbose_name="pharmacovigilance email",
            ),
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
