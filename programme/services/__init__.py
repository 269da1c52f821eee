"""Every state change of the programme. Each function states its side effects.

Split by subject: `building` (settings, sessions, speakers, publishing: the chairs' side),
`placements` (papers into sessions, one by one or from a CSV file), `presenters`
(attendance and material), `mails` (the slot mails and the upload reminders).
"""

from .building import (
    programme_publish,
    programme_settings_update,
    session_create,
    session_delete,
    session_update,
    speaker_create,
    speaker_delete,
    speaker_update,
)
from .mails import presenter_reminders_queue
from .placements import CsvRefused, paper_place, paper_unplace, papers_place_csv
from .presenters import attendance_confirm, material_upload, presenter_choose

__all__ = [
    "CsvRefused",
    "attendance_confirm",
    "material_upload",
    "paper_place",
    "paper_unplace",
    "papers_place_csv",
    "presenter_choose",
    "presenter_reminders_queue",
    "programme_publish",
    "programme_settings_update",
    "session_create",
    "session_delete",
    "session_update",
    "speaker_create",
    "speaker_delete",
    "speaker_update",
]
