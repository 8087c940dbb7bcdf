"""Below the ORM: PostgreSQL refuses UPDATE and DELETE on case events.

SQLite (the embedded default) relies on the ORM guard only: its test runner
flushes tables with DELETE, which a trigger there would refuse.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION npp_caseevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'orders_caseevent is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER caseevent_append_only
    BEFORE UPDATE OR DELETE ON orders_caseevent
    FOR EACH ROW EXECUTE FUNCTION npp_caseevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS caseevent_append_only ON orders_caseevent;
DROP FUNCTION IF EXISTS npp_caseevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
