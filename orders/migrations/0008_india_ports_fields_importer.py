"""Reference data for complete forms: the India pathway's ports with customs stations
and the fields each of its forms requires, Lupkynis's usual source of supply, and
the importing service's identity (demo values: replace them in the admin). Cases
whose port was typed as text get the port it names, by its airport code."""

from django.db import migrations

# Air cargo complexes with a customs station (the code is the customs location code).
INDIA_PORTS = [
    {"code": "INBLR4", "name": "Bengaluru (BLR) Air Cargo Complex"},
    {"code": "INMAA4", "name": "Chennai (MAA) Air Cargo Complex"},
    {"code": "INDEL4", "name": "Delhi (DEL) Air Cargo Complex"},
    {"code": "INHYD4", "name": "Hyderabad (HYD) Air Cargo Complex"},
    {"code": "INCCU4", "name": "Kolkata (CCU) Air Cargo Complex"},
    {"code": "INCOK4", "name": "Kochi (COK) Air Cargo Complex"},
    {"code": "INBOM4", "name": "Mumbai (BOM) Air Cargo Complex"},
    {"code": "INAMD4", "name": "Ahmedabad (AMD) Air Cargo Complex"},
    {"code": "INTRV4", "name": "Thiruvananthapuram (TRV) Air Cargo Complex"},
]

INDIA_REQUIRED_FIELDS = {
    "form_12a": [
        "applicant_name",
        "applicant_address",
        "applicant_occupation",
        "applicant_identity",
        "drug_name",
        "drug_generic_name",
        "drug_strength",
        "quantity",
        "prescribed_dose",
        "treatment_days",
        "supply_source",
        "supply_country",
        "port_of_entry",
        "prescriber_name",
        "prescriber_registration",
        "prescriber_council",
    ],
    "justification_letter": [
        "prescriber_name",
        "prescriber_registration",
        "applicant_name",
        "justification",
    ],
    "physician_undertaking": [
        "prescriber_name",
        "prescriber_registration",
        "applicant_name",
        "prescribed_dose",
    ],
    "patient_consent": ["applicant_name", "applicant_address", "applicant_identity"],
    "attachments_checklist": ["importer_name", "importer_address", "importer_drug_licence"],
    "purchase_order": [
        "importer_name",
        "importer_address",
        "importer_drug_licence",
        "importer_iec",
        "importer_gstin",
        "supply_source",
        "supply_country",
        "drug_name",
        "drug_strength",
        "quantity",
        "permit_number",
    ],
}

DEMO_IMPORTER = {
    "name": "NPP Health Services Private Limited",
    "address": "3rd Floor, Prestige Atrium\n1 Central Street, Shivajinagar",
    "city": "Bengaluru",
    "state": "Karnataka",
    "postal_code": "560001",
    "country": "IN",
    "phone": "+91 80 4718 2200",
    "email": "care@npp.example",
    "drug_licence_number": "KA-B20-215836 / KA-B21-215837",
    "iec": "AAHCN4821K",
    "gstin": "29AAHCN4821K1Z4",
    "is_active": True,
}


def load(apps, schema_editor):
    Pathway = apps.get_model("orders", "Pathway")
    Pathway.objects.filter(code="IN-12A").update(
        ports_of_entry=INDIA_PORTS, required_fields=INDIA_REQUIRED_FIELDS
    )
    Supplier = apps.get_model("orders", "Supplier")
    aurinia = Supplier.objects.filter(name="Aurinia Pharmaceuticals Inc.").first()
    if aurinia is not None:
        apps.get_model("orders", "Product").objects.filter(
            brand_name="Lupkynis", supplier__isnull=True
        ).update(supplier=aurinia)
    Importer = apps.get_model("orders", "Importer")
    if not Importer.objects.exists():
        Importer.objects.create(**DEMO_IMPORTER)
    by_airport = {port["name"].split("(")[1][:3]: port["code"] for port in INDIA_PORTS}
    ImportCase = apps.get_model("orders", "ImportCase")
    for case in ImportCase.objects.exclude(port_of_entry="").only("pk", "port_of_entry"):
        if case.port_of_entry in by_airport.values():
            continue
        code = next((c for airport, c in by_airport.items() if airport in case.port_of_entry), "")
        ImportCase.objects.filter(pk=case.pk).update(port_of_entry=code)


class Migration(migrations.Migration):
    dependencies = [("orders", "0007_importer_ports_required_fields")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
