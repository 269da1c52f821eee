"""Re-create the not-an-author trigger: on SQLite, altering reviews_assignment (0004)
rebuilds the table and silently drops its triggers. Any later migration that alters the
table must re-run `create` again; tests/reviews/test_conflicts.py checks that the trigger
exists after migrating."""

from django.db import migrations

from reviews.migrations_support import create_assignment_trigger, drop_assignment_trigger


class Migration(migrations.Migration):
    dependencies = [("reviews", "0005_decisions")]

    operations = [migrations.RunPython(create_assignment_trigger, drop_assignment_trigger)]
