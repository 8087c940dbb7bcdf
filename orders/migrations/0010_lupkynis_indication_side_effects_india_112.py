"""Catalogue data the patient sheet and the CIOMS report need: what Lupkynis is for
(design section 2: lupus nephritis, with mycophenolate and corticosteroids), its route,
and the side effects its label and Medication Guide tell patients to watch for, from
the most urgent; India's emergency number, 112."""

from django.db import migrations

INDICATION = (
    "Lupkynis treats active lupus nephritis in adults: inflammation of the kidneys "
    "caused by lupus. It is taken together with mycophenolate mofetil and a "
    "corticosteroid, and calms the immune system so that it does less harm to the kidneys."
)

SIDE_EFFECTS = [
    {
        "signs": "Seizures (fits), confusion, a sudden severe headache or sudden changes "
        "in your eyesight",
        "urgency": "emergency",
    },
    {"signs": "Fainting, or a very fast or irregular heartbeat", "urgency": "emergency"},
    {
        "signs": "Fever, chills, a sore throat, a cough that does not go away, or burning "
        "when you pass urine (signs of an infection)",
        "urgency": "same_day",
    },
    {
        "signs": "Passing much less urine than usual, or swelling of your legs, ankles or "
        "face (signs of a kidney problem)",
        "urgency": "same_day",
    },
    {
        "signs": "High blood pressure readings at home, or a headache that does not go away",
        "urgency": "same_day",
    },
    {
        "signs": "Muscle weakness, tingling or a slow heartbeat (signs of too much potassium "
        "in the blood)",
        "urgency": "same_day",
    },
    {
        "signs": "Unusual tiredness, pale skin or shortness of breath (signs of anaemia)",
        "urgency": "same_day",
    },
    {
        "signs": "Diarrhoea, stomach pain or heartburn, cough, loss of appetite, hair loss, "
        "mouth sores or shaking hands (tremor)",
        "urgency": "routine",
    },
    {
        "signs": "A new mole or lump, or a mole or patch of skin that changes (this "
        "medicine raises the risk of some cancers; protect your skin from the sun)",
        "urgency": "routine",
    },
]


def fill(apps, schema_editor):
    Product = apps.get_model("orders", "Product")
    Product.objects.filter(brand_name="Lupkynis", indication="").update(indication=INDICATION)
    Product.objects.filter(brand_name="Lupkynis", side_effects=[]).update(side_effects=SIDE_EFFECTS)
    Product.objects.filter(brand_name="Lupkynis").update(route="oral")
    apps.get_model("orders", "Pathway").objects.filter(code="IN-12A", emergency_number="").update(
        emergency_number="112"
    )


class Migration(migrations.Migration):
    dependencies = [("orders", "0009_catalogue_indication_side_effects_and_emergency_number")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
