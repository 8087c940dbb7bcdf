"""The table of the database cache (NPP_CACHE_URL=db://, the embedded default), where
every web process finds the same sign-in rate limits and used one-time codes. Created
here so that `migrate` alone prepares a working install; the same table as
`manage.py createcachetable` makes, and left alone if that already made it."""

import io

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

TABLE = "npp_cache"  # settings.CACHE_TABLE


def create(apps, schema_editor):
    command = CreateCacheTable(stdout=io.StringIO())
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, dry_run=False)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
