"""Cases per state in a table the database keeps (orders.models.CaseStateCount).

Triggers on orders_importcase add one to the new state's row and take one from the
old state's, in the statement that changes the case, so the counts commit or roll
back with it. Each state's count is split over 16 rows by case id: transitions
committing at once rarely touch the same row, and the two rows of one move are
always written in the order of their state names, so two opposite moves cannot
deadlock. A decrement is a plain UPDATE (never creates a row): the test runner's
flush on SQLite deletes the counts before the cases, and must leave no -1 behind.
The existing cases are counted once here.

The queue's index covers the open states only (a partial index), so no page walks
past the closed cases.
"""

from django.db import migrations, models

SLOTS = 16

POSTGRES = f"""
CREATE OR REPLACE FUNCTION npp_case_state_add(state text, slot_of bigint, delta integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF delta > 0 THEN
        INSERT INTO orders_casestatecount (status, slot, count)
        VALUES (state, slot_of % {SLOTS}, delta)
        ON CONFLICT (status, slot) DO UPDATE SET count = orders_casestatecount.count + delta;
    ELSE
        UPDATE orders_casestatecount SET count = count + delta
        WHERE status = state AND slot = slot_of % {SLOTS};
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION npp_case_state_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM npp_case_state_add(NEW.status, NEW.id, 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM npp_case_state_add(OLD.status, OLD.id, -1);
    ELSIF OLD.status < NEW.status THEN
        PERFORM npp_case_state_add(OLD.status, OLD.id, -1);
        PERFORM npp_case_state_add(NEW.status, NEW.id, 1);
    ELSIF OLD.status > NEW.status THEN
        PERFORM npp_case_state_add(NEW.status, NEW.id, 1);
        PERFORM npp_case_state_add(OLD.status, OLD.id, -1);
    END IF;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION npp_case_state_reset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM orders_casestatecount;
    RETURN NULL;
END;
$$;

CREATE TRIGGER case_state_count
    AFTER INSERT OR DELETE OR UPDATE OF status ON orders_importcase
    FOR EACH ROW EXECUTE FUNCTION npp_case_state_count();
CREATE TRIGGER case_state_count_truncate
    AFTER TRUNCATE ON orders_importcase
    FOR EACH STATEMENT EXECUTE FUNCTION npp_case_state_reset();
"""

POSTGRES_DROP = """
DROP TRIGGER IF EXISTS case_state_count ON orders_importcase;
DROP TRIGGER IF EXISTS case_state_count_truncate ON orders_importcase;
DROP FUNCTION IF EXISTS npp_case_state_count();
DROP FUNCTION IF EXISTS npp_case_state_reset();
DROP FUNCTION IF EXISTS npp_case_state_add(text, bigint, integer);
"""

SQLITE = [
    f"""
CREATE TRIGGER case_state_count_insert AFTER INSERT ON orders_importcase BEGIN
    INSERT INTO orders_casestatecount (status, slot, count)
    VALUES (NEW.status, NEW.id % {SLOTS}, 1)
    ON CONFLICT (status, slot) DO UPDATE SET count = count + 1;
END
""",
    f"""
CREATE TRIGGER case_state_count_update AFTER UPDATE OF status ON orders_importcase
WHEN OLD.status IS NOT NEW.status BEGIN
    UPDATE orders_casestatecount SET count = count - 1
    WHERE status = OLD.status AND slot = OLD.id % {SLOTS};
    INSERT INTO orders_casestatecount (status, slot, count)
    VALUES (NEW.status, NEW.id % {SLOTS}, 1)
    ON CONFLICT (status, slot) DO UPDATE SET count = count + 1;
END
""",
    f"""
CREATE TRIGGER case_state_count_delete AFTER DELETE ON orders_importcase BEGIN
    UPDATE orders_casestatecount SET count = count - 1
    WHERE status = OLD.status AND slot = OLD.id % {SLOTS};
END
""",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS case_state_count_insert",
    "DROP TRIGGER IF EXISTS case_state_count_update",
    "DROP TRIGGER IF EXISTS case_state_count_delete",
]

COUNT_EXISTING = f"""
INSERT INTO orders_casestatecount (status, slot, count)
SELECT status, id % {SLOTS}, COUNT(*) FROM orders_importcase GROUP BY status, id % {SLOTS}
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES, None)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)
    schema_editor.execute(COUNT_EXISTING, None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("orders", "0006_india_duty_rates_2025")]

    operations = [
        migrations.CreateModel(
            name="CaseStateCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("status", models.CharField(max_length=30)),
                ("slot", models.PositiveSmallIntegerField()),
                ("count", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.AddConstraint(
            model_name="casestatecount",
            constraint=models.UniqueConstraint(
                fields=("status", "slot"), name="case_state_count_slot"
            ),
        ),
        migrations.RemoveIndex(model_name="importcase", name="case_queue_idx"),
        migrations.AddIndex(
            model_name="importcase",
            index=models.Index(
                condition=models.Q(
                    (
                        "status__in",
                        (
                            "submitted",
                            "information_requested",
                            "forms_preparation",
                            "awaiting_permit",
                            "supplier_ordering",
                            "in_transit",
                            "customs_clearance",
                            "quarantined",
                            "out_for_delivery",
                            "delivered",
                            "on_hold",
                        ),
                    )
                ),
                fields=["-priority", "state_changed_at", "id"],
                name="case_queue_idx",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
