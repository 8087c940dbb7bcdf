"""A patient's phone is kept by its digits alone, in the identifiers (0020) and the
search document (0012), as the search term is (orders.search.phone_digits).

The triggers stripped only ` +-().`, so a phone written "98765/43210" or
"(+91) 98765_43210" kept its other characters between the digits and was found by
neither its digits nor its last ten. The same definitions are written again with the
phone's expression replaced: regexp_replace on PostgreSQL; on SQLite, which has no
regular expressions of its own, a recursive subquery keeps each character that is a
digit (a function registered from Python would leave the triggers failing on any other
connection to the file). The cases whose phone the two rules read differently get
their rows written again.
"""

from importlib import import_module

from django.db import migrations

search = import_module("orders.migrations.0012_case_search")
identifiers = import_module("orders.migrations.0020_case_identifiers")

# Both migrations spell the old rule the same way.
assert search.PHONE_DIGITS == identifiers.PHONE_DIGITS
STRIPPED = search.PHONE_DIGITS
DIGITS = {
    "postgresql": "regexp_replace(p.phone, '[^0-9]', '', 'g')",
    "sqlite": (
        "(WITH RECURSIVE phone_digit(i, digits) AS ("
        "SELECT 1, '' UNION ALL SELECT i + 1, digits || CASE WHEN substr(p.phone, i, 1) "
        "GLOB '[0-9]' THEN substr(p.phone, i, 1) ELSE '' END "
        "FROM phone_digit WHERE i <= length(p.phone)"
        ") SELECT digits FROM phone_digit WHERE i > length(p.phone))"
    ),
}


def phone_as(sql: str, phone: str) -> str:
    """A definition of 0012 or 0020 with the phone's expression `phone`."""
    return sql.replace(STRIPPED, phone)


def postgres(phone: str) -> str:
    """The views of both tables and the identifiers' functions (which hold their keys'
    expressions rather than read the view); the search's functions read its view."""
    view = search.POSTGRES_VIEW.replace("CREATE VIEW", "CREATE OR REPLACE VIEW", 1)
    keys = identifiers.keys("postgresql")
    refresh = identifiers.refresh("postgresql", "= target")
    forget = identifiers.forget("postgresql", "= target")
    return phone_as(
        f"""
{view};
CREATE OR REPLACE VIEW orders_caseidentifier_source AS {keys};
CREATE OR REPLACE FUNCTION npp_case_identifier_refresh(target bigint) RETURNS void
LANGUAGE sql AS $$ {refresh} $$;
CREATE OR REPLACE FUNCTION npp_case_identifier_forget(target bigint) RETURNS void
LANGUAGE sql AS $$ {forget} $$;
""",
        phone,
    )


def sqlite(phone: str) -> list[str]:
    """The views and the identifiers' triggers, dropped and created again (SQLite
    replaces neither); the search document's triggers read its view: they stay."""
    return [
        "DROP VIEW orders_casesearch_source",
        *identifiers.SQLITE_DROP,
        phone_as(search.SQLITE_VIEW, phone),
        *(phone_as(statement, phone) for statement in identifiers.SQLITE),
    ]


def rewrite_rows(schema_editor, before: str, after: str) -> None:
    """Write again the rows of the cases whose phone the two rules read differently."""
    differ = (
        "SELECT c.id FROM orders_importcase c JOIN orders_patient p ON p.id = c.patient_id "
        f"WHERE {before} <> {after}"
    )
    schema_editor.execute(f"DELETE FROM orders_caseidentifier WHERE case_id IN ({differ})", None)
    schema_editor.execute(
        "INSERT INTO orders_caseidentifier (case_id, key) "
        f"SELECT case_id, key FROM orders_caseidentifier_source WHERE case_id IN ({differ}) "
        "ON CONFLICT DO NOTHING",
        None,
    )
    schema_editor.execute(
        "UPDATE orders_casesearch SET document = (SELECT s.document FROM "
        "orders_casesearch_source s WHERE s.case_id = orders_casesearch.case_id) "
        f"WHERE case_id IN ({differ})",
        None,
    )


def keep_phones_by(rule: str):
    """Install the definitions with the phone's expression of `rule` ("digits" or
    "stripped", the old one) and write again the rows it changes."""

    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in DIGITS:
            return
        before, after = STRIPPED, DIGITS[vendor]
        if rule == "stripped":
            before, after = after, before
        if vendor == "postgresql":
            schema_editor.execute(postgres(after), None)
        else:
            for statement in sqlite(after):
                schema_editor.execute(statement, None)
        rewrite_rows(schema_editor, before, after)

    return run


class Migration(migrations.Migration):
    dependencies = [("orders", "0020_case_identifiers")]

    operations = [migrations.RunPython(keep_phones_by("digits"), keep_phones_by("stripped"))]
