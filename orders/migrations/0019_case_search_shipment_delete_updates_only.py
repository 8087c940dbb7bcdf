"""On SQLite, deleting a shipment updates its case's search document instead of
writing the row again (0012 upserted it).

The upsert re-created the search row of a case whose row had just been deleted when
both went in one transaction with the case itself (a flush deletes table by table, in
no fixed order): the new row then pointed at a deleted case, and the commit failed on
the foreign key. An UPDATE touches only a row that is still there. PostgreSQL empties
tables with TRUNCATE, which fires no row trigger; its trigger is left as it was.
"""

from django.db import migrations

UPDATES_ONLY = """CREATE TRIGGER case_search_shipment_delete AFTER DELETE ON orders_shipment BEGIN
    UPDATE orders_casesearch
    SET document = (
        SELECT document FROM orders_casesearch_source WHERE case_id = OLD.case_id
    )
    WHERE case_id = OLD.case_id
    AND EXISTS (SELECT 1 FROM orders_casesearch_source WHERE case_id = OLD.case_id);
END"""

UPSERT = """CREATE TRIGGER case_search_shipment_delete AFTER DELETE ON orders_shipment BEGIN
    INSERT INTO orders_casesearch (case_id, document)
    SELECT case_id, document FROM orders_casesearch_source WHERE case_id = OLD.case_id
    ON CONFLICT (case_id) DO UPDATE SET document = excluded.document;
END"""


def replace_trigger(definition: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        schema_editor.execute("DROP TRIGGER IF EXISTS case_search_shipment_delete", None)
        schema_editor.execute(definition, None)

    return run


class Migration(migrations.Migration):
    dependencies = [("orders", "0018_product_translations")]

    operations = [migrations.RunPython(replace_trigger(UPDATES_ONLY), replace_trigger(UPSERT))]
