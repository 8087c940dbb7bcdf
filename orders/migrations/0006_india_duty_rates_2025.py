"""India's duty rates as they stand since 22 September 2025 (design section 2): IGST
on most medicines is 5% (the seed had 18%, the rate of other goods), and the parts of
the duty carry their names, for the case record's breakdown."""

from django.db import migrations

NAMES = {
    "basic": "Basic customs duty",
    "surcharge": "Social welfare surcharge (10% of the basic duty)",
    "igst": "IGST",
}


def update(apps, schema_editor):
    Pathway = apps.get_model("orders", "Pathway")
    for pathway in Pathway.objects.filter(code="IN-12A"):
        duty = dict(pathway.duty or {})
        if duty.get("igst_percent") == 18:
            duty["igst_percent"] = 5
        duty.setdefault("names", NAMES)
        duty.setdefault("effective_from", "2025-09-22")
        duty.setdefault(
            "source",
            "Customs Tariff (basic duty 10%), social welfare surcharge 10% of the basic duty, "
            "IGST 5% on medicines from 22 September 2025",
        )
        pathway.duty = duty
        pathway.save(update_fields=["duty"])


def restore(apps, schema_editor):
    Pathway = apps.get_model("orders", "Pathway")
    for pathway in Pathway.objects.filter(code="IN-12A"):
        duty = dict(pathway.duty or {})
        if duty.get("igst_percent") == 5:
            duty["igst_percent"] = 18
        for key in ("names", "effective_from", "source"):
            duty.pop(key, None)
        pathway.duty = duty
        pathway.save(update_fields=["duty"])


class Migration(migrations.Migration):
    dependencies = [("orders", "0005_case_queue_indexes")]
    operations = [migrations.RunPython(update, restore)]
