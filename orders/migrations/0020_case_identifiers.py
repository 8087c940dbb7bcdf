"""The whole identifiers of each case (orders.models.CaseIdentifier), kept by the
database as the search document is (0012), for the search's exact path.

One view, orders_caseidentifier_source, says which (case, key) rows there are; the
triggers write the rows of the cases they touch in the statement that changed them,
computing the same keys for those cases only (the key expressions are written into
each trigger with the case's condition on every branch, so no planner has to push a
condition into a UNION). A key is the identifier in lower case without spaces or
dashes; a phone is its digits, and its last ten digits (the number as written without
the country code). Refreshing a case deletes the rows it no longer has and adds the
missing ones: a write that leaves its keys as they were writes nothing.

A deleted shipment only deletes its case's stale rows, never adds one: a flush empties
the tables one after another (on SQLite, by DELETE, firing the triggers), and a row
written again for a case about to be deleted would fail the foreign key at the commit
(0019). Names are not keys: the search finds them through the expression indexes on
lower(full_name) of patients and physicians, added here.
"""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models

CASE_KEYS = ("regulator_reference", "permit_number", "bill_of_entry_number", "delivered_lot")
SHIPMENT_KEYS = ("batch_number", "tracking_number")
# The columns whose change changes a case's keys (its patient brings the phone and
# the identity document).
CASE_COLUMNS = ("patient_id", *CASE_KEYS)
PATIENT_COLUMNS = ("phone", "id_document_number_masked")

PHONE_DIGITS = (
    "replace(replace(replace(replace(replace(replace("
    "p.phone, ' ', ''), '+', ''), '-', ''), '(', ''), ')', ''), '.', '')"
)


def normalised(column: str) -> str:
    return f"lower(replace(replace({column}, ' ', ''), '-', ''))"


def keys(vendor: str, target: str = "") -> str:
    """SELECT case_id, key of the cases whose id satisfies `target` (`= NEW.id`,
    `IN (...)`), or of every case."""
    right = "right({}, {})" if vendor == "postgresql" else "substr({}, -{})"
    case_where = f" WHERE c.id {target}" if target else ""
    shipment_where = f" WHERE s.case_id {target}" if target else ""
    patient = "FROM orders_importcase c JOIN orders_patient p ON p.id = c.patient_id"
    branches = [
        f"SELECT c.id AS case_id, {normalised('c.' + column)} AS key "
        f"FROM orders_importcase c{case_where}"
        for column in CASE_KEYS
    ]
    branches += [
        f"SELECT c.id, {PHONE_DIGITS} {patient}{case_where}",
        f"SELECT c.id, {right.format(PHONE_DIGITS, 10)} {patient}{case_where}",
        f"SELECT c.id, {normalised(right.format('p.id_document_number_masked', 4))} "
        f"{patient}{case_where}",
    ]
    branches += [
        f"SELECT s.case_id, {normalised('s.' + column)} FROM orders_shipment s{shipment_where}"
        for column in SHIPMENT_KEYS
    ]
    return (
        "SELECT case_id, key FROM (\n    " + "\n    UNION ".join(branches) + "\n) k WHERE key <> ''"
    )


def forget(vendor: str, target: str) -> str:
    """Delete the rows of the `target` cases that their keys no longer hold."""
    return (
        f"DELETE FROM orders_caseidentifier WHERE case_id {target} "
        f"AND (case_id, key) NOT IN (SELECT case_id, key FROM ({keys(vendor, target)}) f)"
    )


def add(vendor: str, target: str) -> str:
    """Insert the rows of the `target` cases that are missing."""
    return (
        f"INSERT INTO orders_caseidentifier (case_id, key) {keys(vendor, target)} "
        "ON CONFLICT DO NOTHING"
    )


def refresh(vendor: str, target: str) -> str:
    return f"{forget(vendor, target)};\n{add(vendor, target)}"


CASE_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in CASE_COLUMNS)
PATIENT_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in PATIENT_COLUMNS)

POSTGRES = f"""
CREATE VIEW orders_caseidentifier_source AS {keys("postgresql")};

CREATE FUNCTION npp_case_identifier_refresh(target bigint) RETURNS void
LANGUAGE sql AS $$ {refresh("postgresql", "= target")} $$;

CREATE FUNCTION npp_case_identifier_forget(target bigint) RETURNS void
LANGUAGE sql AS $$ {forget("postgresql", "= target")} $$;

CREATE FUNCTION npp_case_identifier_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM npp_case_identifier_refresh(NEW.id);
    RETURN NULL;
END;
$$;

CREATE FUNCTION npp_case_identifier_shipment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM npp_case_identifier_forget(OLD.case_id);
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM npp_case_identifier_refresh(NEW.case_id);
    ELSE
        PERFORM npp_case_identifier_refresh(OLD.case_id);
        IF NEW.case_id <> OLD.case_id THEN
            PERFORM npp_case_identifier_refresh(NEW.case_id);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION npp_case_identifier_patient() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM npp_case_identifier_refresh(c.id) FROM orders_importcase c WHERE c.patient_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER case_identifier_insert AFTER INSERT ON orders_importcase
    FOR EACH ROW EXECUTE FUNCTION npp_case_identifier_case();
CREATE TRIGGER case_identifier_update AFTER UPDATE OF {", ".join(CASE_COLUMNS)} ON orders_importcase
    FOR EACH ROW WHEN ({CASE_CHANGED}) EXECUTE FUNCTION npp_case_identifier_case();
CREATE TRIGGER case_identifier_shipment
    AFTER INSERT OR DELETE OR UPDATE OF case_id, {", ".join(SHIPMENT_KEYS)} ON orders_shipment
    FOR EACH ROW EXECUTE FUNCTION npp_case_identifier_shipment();
CREATE TRIGGER case_identifier_patient
    AFTER UPDATE OF {", ".join(PATIENT_COLUMNS)} ON orders_patient
    FOR EACH ROW WHEN ({PATIENT_CHANGED}) EXECUTE FUNCTION npp_case_identifier_patient();
"""

POSTGRES_DROP = """
DROP TRIGGER IF EXISTS case_identifier_insert ON orders_importcase;
DROP TRIGGER IF EXISTS case_identifier_update ON orders_importcase;
DROP TRIGGER IF EXISTS case_identifier_shipment ON orders_shipment;
DROP TRIGGER IF EXISTS case_identifier_patient ON orders_patient;
DROP FUNCTION IF EXISTS npp_case_identifier_case();
DROP FUNCTION IF EXISTS npp_case_identifier_shipment();
DROP FUNCTION IF EXISTS npp_case_identifier_patient();
DROP FUNCTION IF EXISTS npp_case_identifier_refresh(bigint);
DROP FUNCTION IF EXISTS npp_case_identifier_forget(bigint);
DROP VIEW IF EXISTS orders_caseidentifier_source;
"""

SQLITE_CASE_CHANGED = CASE_CHANGED.replace("IS DISTINCT FROM", "IS NOT")
SQLITE_PATIENT_CHANGED = PATIENT_CHANGED.replace("IS DISTINCT FROM", "IS NOT")
SQLITE = [
    f"CREATE VIEW orders_caseidentifier_source AS {keys('sqlite')}",
    f"""CREATE TRIGGER case_identifier_insert AFTER INSERT ON orders_importcase BEGIN
        {add("sqlite", "= NEW.id")};
    END""",
    f"""CREATE TRIGGER case_identifier_update AFTER UPDATE OF {", ".join(CASE_COLUMNS)}
    ON orders_importcase WHEN {SQLITE_CASE_CHANGED} BEGIN
        {refresh("sqlite", "= NEW.id")};
    END""",
    f"""CREATE TRIGGER case_identifier_shipment_insert AFTER INSERT ON orders_shipment BEGIN
        {add("sqlite", "= NEW.case_id")};
    END""",
    f"""CREATE TRIGGER case_identifier_shipment_update
    AFTER UPDATE OF case_id, {", ".join(SHIPMENT_KEYS)} ON orders_shipment BEGIN
        {refresh("sqlite", "IN (OLD.case_id, NEW.case_id)")};
    END""",
    f"""CREATE TRIGGER case_identifier_shipment_delete AFTER DELETE ON orders_shipment BEGIN
        {forget("sqlite", "= OLD.case_id")};
    END""",
    f"""CREATE TRIGGER case_identifier_patient AFTER UPDATE OF {", ".join(PATIENT_COLUMNS)}
    ON orders_patient WHEN {SQLITE_PATIENT_CHANGED} BEGIN
        {refresh("sqlite", "IN (SELECT id FROM orders_importcase WHERE patient_id = NEW.id)")};
    END""",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "case_identifier_insert",
        "case_identifier_update",
        "case_identifier_shipment_insert",
        "case_identifier_shipment_update",
        "case_identifier_shipment_delete",
        "case_identifier_patient",
    )
] + ["DROP VIEW IF EXISTS orders_caseidentifier_source"]

# In the primary key's order: the b-tree is filled left to right.
INDEX_EXISTING = (
    "INSERT INTO orders_caseidentifier (case_id, key) "
    "SELECT case_id, key FROM orders_caseidentifier_source ORDER BY key, case_id"
)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES, None)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement, None)
    else:
        return
    schema_editor.execute(INDEX_EXISTING, None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP, None)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement, None)


class Migration(migrations.Migration):
    dependencies = [("orders", "0019_case_search_shipment_delete_updates_only")]

    operations = [
        migrations.CreateModel(
            name="CaseIdentifier",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "key",
                        "case",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("key", models.TextField()),
                (
                    "case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="identifiers",
                        to="orders.importcase",
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(
                django.db.models.functions.text.Lower("full_name"), name="patient_name_lower_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="physician",
            index=models.Index(
                django.db.models.functions.text.Lower("full_name"),
                name="physician_name_lower_idx",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
