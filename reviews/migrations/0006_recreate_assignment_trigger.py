"""Re-create the not-an-author trigger on PostgreSQL (on SQLite the trigger is managed
around every migrate: see reviews/migrations_support.py). tests/reviews/test_conflicts.py
checks that the trigger exists after migrating."""

from django.db import migrations

from reviews.migrations_support import create_assignment_trigger, drop_assignment_trigger


class Migration(migrations.Migration):
    dependencies = [("reviews", "0005_decisions")]

    operations = [migrations.RunPython(create_assignment_trigger, drop_assignment_trigger)]
