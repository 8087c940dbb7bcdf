"""The reference supplier's address and order desk, for the purchase order."""

from django.db import migrations

AURINIA = {
    "address": "#140, 14315 118 Avenue\nEdmonton, Alberta T5L 4S6\nCanada",
    "contact_name": "Named-patient programme, order desk",
    "phone": "+1 250 744 2487",
    "contact_email": "npp.orders@aurinia.example",
}


def load(apps, schema_editor):
    apps.get_model("orders", "Supplier").objects.filter(
        name="Aurinia Pharmaceuticals Inc.", address=""
    ).update(**AURINIA)


class Migration(migrations.Migration):
    dependencies = [("orders", "0013_supplier_address")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
