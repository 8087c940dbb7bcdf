"""Side-effect reports on the CIOMS I form: a kind of generated document."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0008_signature_capacity_quality_release"),
    ]

    operations = [
        migrations.AlterField(
            model_name="document",
            name="kind",
            field=models.CharField(
                choices=[
                    ("prescription", "Prescription"),
                    ("patient_identity", "Patient identity document"),
                    ("patient_consent", "Patient consent"),
                    ("medical_report", "Medical report"),
                    ("physician_undertaking", "Physician undertaking"),
                    ("regulatory_application", "Regulatory application pack"),
                    ("import_permit", "Import permit"),
                    ("proforma_invoice", "Proforma invoice"),
                    ("tax_invoice", "Tax invoice"),
                    ("credit_note", "Credit note"),
                    ("purchase_order", "Purchase order"),
                    ("certificate_of_analysis", "Certificate of analysis"),
                    ("airway_bill", "Airway bill"),
                    ("bill_of_entry", "Bill of Entry"),
                    ("duty_receipt", "Duty receipt"),
                    ("duty_exemption", "Duty exemption certificate"),
                    ("temperature_log", "Temperature log"),
                    ("proof_of_delivery", "Proof of delivery"),
                    ("patient_information", "Patient information sheet and delivery note"),
                    ("quality_release", "Quality release"),
                    ("case_record", "Case record"),
                    ("adverse_event_report", "Side-effect report (CIOMS I)"),
                    ("other", "Other"),
                ],
                max_length=40,
            ),
        ),
        migrations.AlterField(
            model_name="renderjob",
            name="kind",
            field=models.CharField(
                choices=[
                    ("prescription", "Prescription"),
                    ("patient_identity", "Patient identity document"),
                    ("patient_consent", "Patient consent"),
                    ("medical_report", "Medical report"),
                    ("physician_undertaking", "Physician undertaking"),
                    ("regulatory_application", "Regulatory application pack"),
                    ("import_permit", "Import permit"),
                    ("proforma_invoice", "Proforma invoice"),
                    ("tax_invoice", "Tax invoice"),
                    ("credit_note", "Credit note"),
                    ("purchase_order", "Purchase order"),
                    ("certificate_of_analysis", "Certificate of analysis"),
                    ("airway_bill", "Airway bill"),
                    ("bill_of_entry", "Bill of Entry"),
                    ("duty_receipt", "Duty receipt"),
                    ("duty_exemption", "Duty exemption certificate"),
                    ("temperature_log", "Temperature log"),
                    ("proof_of_delivery", "Proof of delivery"),
                    ("patient_information", "Patient information sheet and delivery note"),
                    ("quality_release", "Quality release"),
                    ("case_record", "Case record"),
                    ("adverse_event_report", "Side-effect report (CIOMS I)"),
                    ("other", "Other"),
                ],
                max_length=40,
            ),
        ),
    ]
