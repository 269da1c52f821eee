"""Every state change of a submission. Each function states its side effects.

Split by subject: `lifecycle` (create, edit, submit, withdraw, restore), `authors`,
`files` (uploads and the deep check), `notify` (the mails these changes cause).
"""

from .authors import authors_replace, conflicts_declare
from .fields import (
    field_answers_save,
    submission_create_with_answers,
    submission_update_with_answers,
)
from .files import submission_file_check, submission_file_upload
from .lifecycle import (
    submission_create,
    submission_restore,
    submission_submit,
    submission_update,
    submission_withdraw,
)

__all__ = [
    "authors_replace",
    "conflicts_declare",
    "field_answers_save",
    "submission_create",
    "submission_create_with_answers",
    "submission_file_check",
    "submission_file_upload",
    "submission_restore",
    "submission_submit",
    "submission_update",
    "submission_update_with_answers",
    "submission_withdraw",
]
