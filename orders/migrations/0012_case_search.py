"""The search document of each case (orders.models.CaseSearch), kept by the database.

One view, orders_casesearch_source, says what the document holds (one definition per
dialect, the same text on both); triggers on the case, its patient and its
shipments write the view's row for the cases they touch into orders_casesearch, in
the statement that changed them. An UPDATE that leaves the quoted columns as they
were costs nothing (UPDATE OF ... WHEN changed). Existing cases are indexed here.

Searching: PostgreSQL has a GIN trigram index (pg_trgm) on the document, used by
LIKE '%...%'; SQLite an FTS5 table with the trigram tokenizer, kept in step with
orders_casesearch by its own triggers.
"""

import django.db.models.deletion
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

# The digits of a phone number, whatever its spacing.
PHONE_DIGITS = (
    "replace(replace(replace(replace(replace(replace("
    "p.phone, ' ', ''), '+', ''), '-', ''), '(', ''), ')', ''), '.', '')"
)
QUOTED = (
    "reference",
    "patient_id",
    "physician_id",
    "regulator_reference",
    "permit_number",
    "bill_of_entry_number",
    "delivered_lot",
)


def _document(last_four: str, shipments: str) -> str:
    return f"""lower(
        c.reference || ' ' || p.full_name || ' ' || {PHONE_DIGITS} || ' ' || {last_four}
        || ' ' || d.full_name || ' ' || c.regulator_reference || ' ' || c.permit_number
        || ' ' || c.bill_of_entry_number || ' ' || c.delivered_lot || ' ' || coalesce(({shipments}), '')
    )"""


def _view(last_four: str, shipments: str) -> str:
    return f"""
CREATE VIEW orders_casesearch_source AS
SELECT c.id AS case_id, {_document(last_four, shipments)} AS document
FROM orders_importcase c
JOIN orders_patient p ON p.id = c.patient_id
JOIN orders_physician d ON d.id = c.physician_id
"""


POSTGRES_VIEW = _view(
    "right(p.id_document_number_masked, 4)",
    "SELECT string_agg(s.batch_number || ' ' || s.tracking_number, ' ' ORDER BY s.id) "
    "FROM orders_shipment s WHERE s.case_id = c.id",
)
SQLITE_VIEW = _view(
    "substr(p.id_document_number_masked, -4)",
    "SELECT group_concat(s.batch_number || ' ' || s.tracking_number, ' ') "
    "FROM orders_shipment s WHERE s.case_id = c.id",
)

REFRESH = """
INSERT INTO orders_casesearch (case_id, document)
SELECT case_id, document FROM orders_casesearch_source WHERE case_id {target}
ON CONFLICT (case_id) DO UPDATE SET document = excluded.document
"""

CASE_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in QUOTED)
PATIENT_COLUMNS = ("full_name", "phone", "id_document_number_masked")
PATIENT_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in PATIENT_COLUMNS)

POSTGRES = f"""
{POSTGRES_VIEW};

CREATE OR REPLACE FUNCTION npp_case_search_refresh(target bigint) RETURNS void
LANGUAGE sql AS $$ {REFRESH.format(target="= target")} $$;

CREATE OR REPLACE FUNCTION npp_case_search_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM npp_case_search_refresh(NEW.id);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION npp_case_search_shipment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM npp_case_search_refresh(OLD.case_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.case_id <> OLD.case_id) THEN
        PERFORM npp_case_search_refresh(NEW.case_id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION npp_case_search_patient() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM npp_case_search_refresh(c.id) FROM orders_importcase c WHERE c.patient_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION npp_case_search_physician() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM npp_case_search_refresh(c.id) FROM orders_importcase c WHERE c.physician_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER case_search_insert AFTER INSERT ON orders_importcase
    FOR EACH ROW EXECUTE FUNCTION npp_case_search_case();
CREATE TRIGGER case_search_update AFTER UPDATE OF {", ".join(QUOTED)} ON orders_importcase
    FOR EACH ROW WHEN ({CASE_CHANGED}) EXECUTE FUNCTION npp_case_search_case();
CREATE TRIGGER case_search_shipment
    AFTER INSERT OR DELETE OR UPDATE OF case_id, batch_number, tracking_number ON orders_shipment
    FOR EACH ROW EXECUTE FUNCTION npp_case_search_shipment();
CREATE TRIGGER case_search_patient
    AFTER UPDATE OF {", ".join(PATIENT_COLUMNS)} ON orders_patient
    FOR EACH ROW WHEN ({PATIENT_CHANGED}) EXECUTE FUNCTION npp_case_search_patient();
CREATE TRIGGER case_search_physician AFTER UPDATE OF full_name ON orders_physician
    FOR EACH ROW WHEN (OLD.full_name IS DISTINCT FROM NEW.full_name)
    EXECUTE FUNCTION npp_case_search_physician();

CREATE INDEX case_search_trgm ON orders_casesearch USING gin (document gin_trgm_ops);
"""

POSTGRES_DROP = """
DROP TRIGGER IF EXISTS case_search_insert ON orders_importcase;
DROP TRIGGER IF EXISTS case_search_update ON orders_importcase;
DROP TRIGGER IF EXISTS case_search_shipment ON orders_shipment;
DROP TRIGGER IF EXISTS case_search_patient ON orders_patient;
DROP TRIGGER IF EXISTS case_search_physician ON orders_physician;
DROP FUNCTION IF EXISTS npp_case_search_case();
DROP FUNCTION IF EXISTS npp_case_search_shipment();
DROP FUNCTION IF EXISTS npp_case_search_patient();
DROP FUNCTION IF EXISTS npp_case_search_physician();
DROP FUNCTION IF EXISTS npp_case_search_refresh(bigint);
DROP INDEX IF EXISTS case_search_trgm;
DROP VIEW IF EXISTS orders_casesearch_source;
"""

SQLITE_CASE_CHANGED = CASE_CHANGED.replace("IS DISTINCT FROM", "IS NOT")
SQLITE_PATIENT_CHANGED = PATIENT_CHANGED.replace("IS DISTINCT FROM", "IS NOT")
SQLITE = [
    SQLITE_VIEW,
    """CREATE VIRTUAL TABLE orders_casesearch_fts USING fts5(
        document, content='orders_casesearch', content_rowid='case_id', tokenize='trigram')""",
    """CREATE TRIGGER case_search_fts_insert AFTER INSERT ON orders_casesearch BEGIN
        INSERT INTO orders_casesearch_fts (rowid, document) VALUES (NEW.case_id, NEW.document);
    END""",
    """CREATE TRIGGER case_search_fts_delete AFTER DELETE ON orders_casesearch BEGIN
        INSERT INTO orders_casesearch_fts (orders_casesearch_fts, rowid, document)
        VALUES ('delete', OLD.case_id, OLD.document);
    END""",
    """CREATE TRIGGER case_search_fts_update AFTER UPDATE ON orders_casesearch BEGIN
        INSERT INTO orders_casesearch_fts (orders_casesearch_fts, rowid, document)
        VALUES ('delete', OLD.case_id, OLD.document);
        INSERT INTO orders_casesearch_fts (rowid, document) VALUES (NEW.case_id, NEW.document);
    END""",
    f"""CREATE TRIGGER case_search_insert AFTER INSERT ON orders_importcase BEGIN
        {REFRESH.format(target="= NEW.id")};
    END""",
    f"""CREATE TRIGGER case_search_update AFTER UPDATE OF {", ".join(QUOTED)} ON orders_importcase
    WHEN {SQLITE_CASE_CHANGED} BEGIN
        {REFRESH.format(target="= NEW.id")};
    END""",
    f"""CREATE TRIGGER case_search_shipment_insert AFTER INSERT ON orders_shipment BEGIN
        {REFRESH.format(target="= NEW.case_id")};
    END""",
    f"""CREATE TRIGGER case_search_shipment_update
    AFTER UPDATE OF case_id, batch_number, tracking_number ON orders_shipment BEGIN
        {REFRESH.format(target="IN (OLD.case_id, NEW.case_id)")};
    END""",
    f"""CREATE TRIGGER case_search_shipment_delete AFTER DELETE ON orders_shipment BEGIN
        {REFRESH.format(target="= OLD.case_id")};
    END""",
    f"""CREATE TRIGGER case_search_patient AFTER UPDATE OF {", ".join(PATIENT_COLUMNS)}
    ON orders_patient WHEN {SQLITE_PATIENT_CHANGED} BEGIN
        {REFRESH.format(target="IN (SELECT id FROM orders_importcase WHERE patient_id = NEW.id)")};
    END""",
    f"""CREATE TRIGGER case_search_physician AFTER UPDATE OF full_name ON orders_physician
    WHEN OLD.full_name IS NOT NEW.full_name BEGIN
        {REFRESH.format(target="IN (SELECT id FROM orders_importcase WHERE physician_id = NEW.id)")};
    END""",
]

SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "case_search_fts_insert",
        "case_search_fts_delete",
        "case_search_fts_update",
        "case_search_insert",
        "case_search_update",
        "case_search_shipment_insert",
        "case_search_shipment_update",
        "case_search_shipment_delete",
        "case_search_patient",
        "case_search_physician",
    )
] + ["DROP TABLE IF EXISTS orders_casesearch_fts", "DROP VIEW IF EXISTS orders_casesearch_source"]

INDEX_EXISTING = (
    "INSERT INTO orders_casesearch (case_id, document) "
    "SELECT case_id, document FROM orders_casesearch_source"
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
    dependencies = [("orders", "0011_merge_state_counts_importer_and_catalogue")]

    operations = [
        TrigramExtension(),
        migrations.CreateModel(
            name="CaseSearch",
            fields=[
                (
                    "case",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search",
                        serialize=False,
                        to="orders.importcase",
                    ),
                ),
                ("document", models.TextField()),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
