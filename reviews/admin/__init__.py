"""The reviews app in the admin, scoped to the workshops each chair chairs."""

from . import (  # noqa: F401 - registers the admins
    assignment,
    committee,
    decisions,
    external,
    public,
    reviewing,
    rounds,
    tags,
)
