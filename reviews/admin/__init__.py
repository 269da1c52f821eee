"""The reviews app in the admin, scoped to the workshops each chair chairs."""

from . import assignment, committee, decisions, public, reviewing  # noqa: F401 - registers the admins
