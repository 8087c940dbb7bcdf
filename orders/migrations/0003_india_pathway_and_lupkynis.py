"""Reference data: the India personal-import pathway, Lupkynis as its label gives
it (design section 2), and its manufacturer as an authorised supplier."""

from django.db import migrations

INDIA = {
    "code": "IN-12A",
    "name": "India personal import (Form 12A/12B)",
    "country": "IN",
    "regulator": "CDSCO (SUGAM portal)",
    "application_form": "Form 12A (Drugs and Cosmetics Rules 1945, Rule 36)",
    "permit_form": "Form 12B",
    "is_default": True,
    "quantity_cap_days": 90,
    "prescription_validity_days": 90,
    "application_fee": None,
    "permit_validity_days": None,
    "permit_covers_several_consignments": None,
    "min_remaining_shelf_life_days": 0,
    "min_shelf_life_fraction": None,
    "auto_close_after_days": 14,
    "forms": [
        "form_12a",
        "justification_letter",
        "physician_undertaking",
        "patient_consent",
        "attachments_checklist",
    ],
    "required_documents": {
        "submit": {"prescription": "uploaded"},
        "verify": {"prescription": "accepted"},
        "file_application": {
            "regulatory_application": "accepted",
            "physician_undertaking": "accepted",
            "patient_consent": "accepted",
            "patient_identity": "accepted",
        },
        "record_permit": {"import_permit": "accepted"},
    },
    "expected_days": {
        "submitted": 2,
        "information_requested": 5,
        "forms_preparation": 3,
        "awaiting_permit": 3,
        "supplier_ordering": 7,
        "in_transit": 7,
        "customs_clearance": 3,
        "quarantined": 3,
        "out_for_delivery": 2,
        "delivered": 14,
    },
    "duty": {
        "basic_percent": 10,
        "surcharge_percent_of_basic": 10,
        "igst_percent": 18,
        "exemptions": {
            "rare_disease": "Rare disease on the national list, with a health-services certificate",
            "free_of_cost": "Life-saving drug supplied free of cost",
        },
    },
    "adverse_event_days": {"serious": 7, "non_serious": 15},
}

LUPKYNIS = {
    "brand_name": "Lupkynis",
    "generic_name": "voclosporin",
    "manufacturer": "Aurinia Pharmaceuticals Inc.",
    "strength": "7.9 mg",
    "dosage_form": "capsule",
    "units_per_pack": 180,
    "standard_daily_units": 6,
    "dosing": "23.7 mg (3 capsules) twice daily, with mycophenolate mofetil and corticosteroids.",
    "administration": (
        "Swallow the capsules whole on an empty stomach, about every 12 hours "
        "and at least 8 hours apart."
    ),
    "missed_dose": (
        "A missed dose may be taken within 4 hours of the usual time; otherwise skip it "
        "and take the next dose at the usual time. Never take a double dose."
    ),
    "avoid": "Do not eat grapefruit or drink grapefruit juice.",
    "dose_adjustment": (
        "Reduced dose 15.8 mg twice daily in severe renal impairment or "
        "mild-to-moderate hepatic impairment."
    ),
    "storage_min_c": "20.0",
    "storage_max_c": "25.0",
    "excursion_min_c": "15.0",
    "excursion_max_c": "30.0",
    "storage_notes": "Keep in the original container (child-resistant pack).",
    "contraindicated_comedications": ["ketoconazole", "itraconazole", "clarithromycin"],
    "monitoring_schedule": [
        {"test": "eGFR", "every_days": 14, "from_day": 0, "until_day": 30},
        {"test": "eGFR", "every_days": 30, "from_day": 30},
        {"test": "Blood pressure", "every_days": 14, "from_day": 0, "until_day": 30},
    ],
    "safety_thresholds": [
        {
            "measure": "egfr",
            "label": "eGFR",
            "unit": "mL/min/1.73 m2",
            "min_exclusive": 45,
            "rule": "Do not start if eGFR is 45 or less, unless the benefit outweighs the risk.",
        },
        {
            "measure": "systolic_bp",
            "label": "Systolic BP",
            "unit": "mmHg",
            "max": 165,
            "rule": "Do not start if blood pressure is above 165/105 mmHg.",
        },
        {
            "measure": "diastolic_bp",
            "label": "Diastolic BP",
            "unit": "mmHg",
            "max": 105,
            "rule": "Do not start if blood pressure is above 165/105 mmHg.",
        },
    ],
    "approved_in": [{"country": "US", "regulator": "FDA"}],
}

SUPPLIER = {
    "name": "Aurinia Pharmaceuticals Inc.",
    "country": "CA",
    "kind": "manufacturer",
    "contact_email": "",
    "safety_contact_email": "",
}


def load(apps, schema_editor):
    apps.get_model("orders", "Pathway").objects.update_or_create(code=INDIA["code"], defaults=INDIA)
    apps.get_model("orders", "Product").objects.update_or_create(
        brand_name="Lupkynis", strength="7.9 mg", dosage_form="capsule", defaults=LUPKYNIS
    )
    apps.get_model("orders", "Supplier").objects.update_or_create(
        name=SUPPLIER["name"], defaults=SUPPLIER
    )


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_caseevent_append_only_trigger")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
