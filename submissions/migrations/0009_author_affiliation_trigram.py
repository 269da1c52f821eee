"""On PostgreSQL, a trigram index on the authors' normalised affiliations, so that an
institution a reviewer declares ("ETH") is found inside the affiliations ("eth zurich")
through an index instead of a scan of every author row (issue 29). It needs the pg_trgm
extension (in PostgreSQL's contrib, allowed on the usual managed services); where the
database user may not create it, migrate says so and goes on without the index: the lookups
give the same answers, only slower for institution declarations. SQLite has no such index."""

from django.db import migrations, transaction

INDEX = "author_affiliation_trgm"


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as exc:  # noqa: BLE001 - any refusal: go on without the index, said
        print(f"\n  Note: no trigram index on author affiliations (pg_trgm: {exc}).")
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON submissions_authorship "
            "USING gin (affiliation_key gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("submissions", "0008_tracks")]

    operations = [migrations.RunPython(create, drop)]
