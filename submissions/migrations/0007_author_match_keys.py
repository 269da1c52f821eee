"""Match keys on author rows (submissions/identity.py): the conflict checks find one
reviewer's conflicts through these indexes instead of reading every author of a workshop.
Existing rows get their keys here."""

from django.db import migrations, models


def fill_keys(apps, schema_editor):
    from submissions.identity import initial_key, normalise, organisation_domain

    Authorship = apps.get_model("submissions", "Authorship")
    batch = []
    for row in Authorship.objects.only("pk", "name", "email", "affiliation").iterator(2000):
        row.name_key = normalise(row.name)[:200]
        row.initial_key = initial_key(row.name)[:200]
        row.affiliation_key = normalise(row.affiliation)[:200]
        row.org_domain = organisation_domain(row.email) or ""
        batch.append(row)
        if len(batch) == 2000:
            Authorship.objects.bulk_update(
                batch, ["name_key", "initial_key", "affiliation_key", "org_domain"]
            )
            batch = []
    if batch:
        Authorship.objects.bulk_update(
            batch, ["name_key", "initial_key", "affiliation_key", "org_domain"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("submissions", "0006_custom_fields"),
    ]

    operations = [
        migrations.AddField(
            model_name="authorship",
            name="name_key",
            field=models.CharField(blank=True, editable=False, max_length=200),
        ),
        migrations.AddField(
            model_name="authorship",
            name="initial_key",
            field=models.CharField(blank=True, editable=False, max_length=200),
        ),
        migrations.AddField(
            model_name="authorship",
            name="affiliation_key",
            field=models.CharField(blank=True, editable=False, max_length=200),
        ),
        migrations.AddField(
            model_name="authorship",
            name="org_domain",
            field=models.CharField(blank=True, editable=False, max_length=254),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="authorship",
            index=models.Index(fields=["name_key"], name="author_name_key"),
        ),
        migrations.AddIndex(
            model_name="authorship",
            index=models.Index(fields=["initial_key"], name="author_initial_key"),
        ),
        migrations.AddIndex(
            model_name="authorship",
            index=models.Index(fields=["org_domain"], name="author_org_domain"),
        ),
    ]
