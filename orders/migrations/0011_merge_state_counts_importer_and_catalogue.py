"""Merge: 0009_merge_case_state_counts_and_importer and the catalogue's patient-sheet
fields (0009/0010) both followed the same two leaves; nothing to do but join them."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0009_merge_case_state_counts_and_importer"),
        ("orders", "0010_lupkynis_indication_side_effects_india_112"),
    ]
    operations = []
