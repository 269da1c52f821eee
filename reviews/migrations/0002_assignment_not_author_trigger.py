"""A database trigger: a reviewer can never be assigned to a paper they author.

Authorship is identity (any address on the account, verified or not, and the primary one),
checked inside the database, so no heuristic, admin form or script can get around it.
"""

from django.db import migrations

from reviews.migrations_support import create_assignment_trigger as create
from reviews.migrations_support import drop_assignment_trigger as drop


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_initial"),
        ("submissions", "0001_initial"),
        ("account", "__latest__"),
    ]

    operations = [migrations.RunPython(create, drop)]
