"""Dated duty rates (IGST on medicines 5% since 22 September 2025, nil for the listed
drugs; the pathway's seeded 18% corrected), exemptions, the service fee and GST, and
the demo's price list, freight and exchange rate (billing.reference_data)."""

from django.db import migrations

from billing.reference_data import billing_reference_load


def load(apps, schema_editor):
    billing_reference_load(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        ("orders", "0003_india_pathway_and_lupkynis"),
    ]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
