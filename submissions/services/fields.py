"""The authors' answers to the chairs' custom fields (issue 27): checked and saved here.

`answer_clean` is the one check of an answer (the author form and the API call it for their
messages; `field_answers_save` calls it again at the moment of the write), so the server
enforces every rule the form shows: the kind, the choices, the URL, the word limits, the
number, the file checks of an attachment, the condition and the milestone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction

from workshop.errors import DeadlinePassed, NotAllowed, ServiceError
from workshop.models import User, Workshop
from workshop.policy import can

from ..filechecks import check_supplementary
from ..filechecks.errors import read_limited
from ..models import (
    FieldKind,
    Submission,
    SubmissionAction,
    SubmissionField,
    SubmissionFieldValue,
)
from ..selectors_fields import answer_key, field_applies, field_values_of, submission_fields
from .lifecycle import history_record, submission_locked

WORD = re.compile(r"\S+")
YES = ("yes", "true", "1", "on", "y")
NO = ("no", "false", "0", "off", "n", "")
NUMBER_LIMIT = Decimal("1e14")


class AnswerError(ServiceError):
    """An answer that breaks its field's rules; `code` names the field."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class Answer:
    """A checked answer, ready for its columns (an attachment: its bytes and type)."""

    text: str = ""
    number: Decimal | None = None
    items: tuple[str, ...] = ()
    data: bytes | None = None
    content_type: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.text or self.number is not None or self.items or self.data)

    @property
    def key(self) -> Any:
        """The answer as `field_applies` compares it (see `answer_key`)."""
        if self.data is not None:
            return True
        if self.items:
            return list(self.items)
        return self.number if self.number is not None else self.text


def word_count(text: str) -> int:
    return len(WORD.findall(text))


def answer_clean(field: SubmissionField, raw: Any, *, upload_limit: int) -> Answer:
    """Check one raw answer (a form's cleaned value, JSON from the API, a CSV cell) against
    its field and return it normalised; raise AnswerError with a message for the author.
    An empty answer is returned empty (whether one is required is `answers_missing`'s)."""
    kind = field.kind
    label = field.label
    if kind == FieldKind.CHECKBOX:
        if isinstance(raw, bool):
            return Answer(text="yes" if raw else "")
        text = str(raw or "").strip().lower()
        if text not in YES + NO:
            raise AnswerError(field.code, f"“{label}”: answer yes or no.")
        return Answer(text="yes" if text in YES else "")
    if kind == FieldKind.CHECKBOXES:
        items = raw if isinstance(raw, list | tuple) else [raw] if raw else []
        choices = field.choice_list
        picked = [str(i).strip() for i in items if str(i).strip()]
        unknown = [i for i in picked if i not in choices]
        if unknown:
            raise AnswerError(field.code, f"“{label}”: “{unknown[0]}” is not one of the choices.")
        return Answer(items=tuple(c for c in choices if c in picked))
    if raw is not None and not isinstance(raw, str | int | float | Decimal | UploadedFile | bytes):
        raise AnswerError(field.code, f"“{label}”: give a single answer.")
    if kind in (FieldKind.RADIO, FieldKind.SELECT):
        text = str(raw or "").strip()
        if text and text not in field.choice_list:
            raise AnswerError(field.code, f"“{label}”: “{text}” is not one of the choices.")
        return Answer(text=text)
    if kind == FieldKind.NUMBER:
        text = str(raw if raw is not None else "").strip().replace(",", "")
        if not text:
            return Answer()
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise AnswerError(field.code, f"“{label}”: “{text}” is not a number.") from None
        if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
            raise AnswerError(field.code, f"“{label}”: the number is too large.")
        return Answer(number=number.quantize(Decimal("0.0001")))
    if kind == FieldKind.URL:
        text = str(raw or "").strip()
        if text:
            try:
                URLValidator(schemes=["http", "https"])(text)
            except ValidationError:
                raise AnswerError(
                    field.code, f"“{label}”: enter a full web address (https://…)."
                ) from None
            if len(text) > 2000:
                raise AnswerError(field.code, f"“{label}”: the address is too long.")
        return Answer(text=text)
    if kind == FieldKind.ATTACHMENT:
        if raw is None or raw == "":
            return Answer()
        if isinstance(raw, str):
            raise AnswerError(field.code, f"“{label}”: upload a file.")
        data = raw if isinstance(raw, bytes) else read_limited(raw, upload_limit)
        info = check_supplementary(data, max_bytes=upload_limit)  # FileCheckError names it
        content_type = "application/zip" if info.kind == "zip" else "application/pdf"
        return Answer(data=data, content_type=content_type)
    text = str(raw or "").strip()
    if kind == FieldKind.TEXT and len(text) > 500:
        raise AnswerError(field.code, f"“{label}”: at most 500 characters.")
    if kind == FieldKind.LONG_TEXT:
        words = word_count(text)
        if field.hard_word_limit and words > field.hard_word_limit:
            raise AnswerError(
                field.code,
                f"“{label}”: {words:,} words, more than the limit of "
                f"{field.hard_word_limit:,}. Please shorten it.",
            )
        if len(text) > 100_000:
            raise AnswerError(field.code, f"“{label}”: the text is too long.")
    return Answer(text=text)


def soft_limit_warning(field: SubmissionField, text: str) -> str:
    """The warning of a long text over its soft limit (accepted), or ''."""
    words = word_count(text)
    if (
        field.kind == FieldKind.LONG_TEXT
        and field.soft_word_limit
        and words > field.soft_word_limit
    ):
        return (
            f"“{field.label}”: {words:,} words, more than the {field.soft_word_limit:,} asked "
            "for (accepted)."
        )
    return ""


def answers_missing(
    fields: list[SubmissionField],
    *,
    submission_type_id: int | None,
    answers: dict[int, Any],
) -> list[SubmissionField]:
    """The required fields asked of this paper (types and conditions) still unanswered.
    `answers` maps field ids to answers as `field_applies` compares them."""
    return [
        f
        for f in fields
        if f.required
        and field_applies(f, submission_type_id=submission_type_id, answers=answers)
        and not answers.get(f.pk)
        and answers.get(f.pk) != Decimal(0)
    ]


def paper_answers_missing(
    submission: Submission, *, fields: list[SubmissionField] | None = None
) -> list[SubmissionField]:
    """The required fields the paper's stored answers leave open (what blocks submitting);
    `fields`: the workshop's, when the caller has read them already."""
    if fields is None:
        fields = submission_fields(submission.workshop_id)
    if not fields:
        return []
    stored = field_values_of([submission.pk])[submission.pk]
    by_id = {f.pk: f for f in fields}
    answers = {}
    for field_id, value in stored.items():
        value.field = by_id[field_id]
        answers[field_id] = answer_key(value)
    return answers_missing(
        fields, submission_type_id=submission.submission_type_id, answers=answers
    )


def _same(value: SubmissionFieldValue | None, answer: Answer) -> bool:
    if value is None:
        return answer.is_empty
    if answer.data is not None:
        return False
    return (
        value.text == answer.text
        and value.number == answer.number
        and list(value.items) == list(answer.items)
        and not value.file
    )


@transaction.atomic
def field_answers_save(
    *,
    submission: Submission,
    user: User,
    answers: dict[str, Any],
    keep_missing: bool = True,
    record: bool = True,
) -> list[str]:
    """Save the authors' answers to the workshop's custom fields, by field code.

    Asks `submissions.answer_field` for every answer that changes (a contact author, until
    the field's milestone: DeadlinePassed after it; answers that do not change are not
    asked about, so a form saved after one field closed keeps working for the others).
    Answers of fields the paper is not asked (its type, an unmet condition) are cleared.
    A required field left empty is refused (AnswerError) unless `keep_missing` (a draft
    may be saved incomplete: submitting asks `paper_answers_missing`). Unknown codes are
    refused. Side effects: one `submission.edit` entry naming the changed fields; nothing
    when nothing changed (none with `record=False`: a paper's creation records it). Returns
    the soft-limit warnings.
    """
    submission = submission_locked(submission)
    fields = submission_fields(submission.workshop_id)
    by_code = {f.code: f for f in fields}
    unknown = sorted(set(answers) - set(by_code))
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(unknown)}")
    limit = submission.workshop.upload_limit_bytes
    stored = field_values_of([submission.pk])[submission.pk]
    for field_id, value in stored.items():
        value.field = next(f for f in fields if f.pk == field_id)
    cleaned = {
        code: answer_clean(by_code[code], raw, upload_limit=limit) for code, raw in answers.items()
    }
    keys = {f.pk: answer_key(v) for f in fields if (v := stored.get(f.pk)) is not None}
    keys.update({by_code[code].pk: a.key for code, a in cleaned.items()})
    keys = {k: v for k, v in keys.items() if v not in ("", None, False, [])}
    asked = {
        f.pk
        for f in fields
        if field_applies(f, submission_type_id=submission.submission_type_id, answers=keys)
    }
    if not keep_missing:
        missing = answers_missing(
            fields, submission_type_id=submission.submission_type_id, answers=keys
        )
        if missing:
            raise AnswerError(missing[0].code, f"“{missing[0].label}” is required.")
    changed: list[SubmissionField] = []
    warnings: list[str] = []
    for field in fields:
        value = stored.get(field.pk)
        if field.code in cleaned and field.pk in asked:
            answer = cleaned[field.code]
        elif field.pk not in asked and value is not None:
            answer = Answer()  # no longer asked of this paper
        else:
            continue
        if _same(value, answer):
            continue
        probe = value or SubmissionFieldValue(submission=submission, field=field)
        if not can(user, "submissions.answer_field", probe):
            if not can(user, "submissions.contact", submission):
                raise NotAllowed("Only the contact authors of this paper can change it.")
            raise DeadlinePassed(
                f"“{field.label}” can no longer be changed: its deadline has passed."
            )
        _answer_write(submission=submission, field=field, value=value, answer=answer, user=user)
        changed.append(field)
        if warning := soft_limit_warning(field, answer.text):
            warnings.append(warning)
    if changed and record:
        history_record(
            submission=submission,
            actor=user,
            action=SubmissionAction.EDIT,
            summary="Changed: " + ", ".join(f.label for f in changed),
        )
    return warnings


def _answer_write(
    *,
    submission: Submission,
    field: SubmissionField,
    value: SubmissionFieldValue | None,
    answer: Answer,
    user: Any,
) -> None:
    """The writer behind `field_answers_save` (and the archive's import): one answer's
    row created, changed or deleted. Asks nothing: its callers asked."""
    if answer.is_empty:
        if value is not None:
            value.delete()
        return
    value = value or SubmissionFieldValue(submission=submission, field=field)
    value.text = answer.text
    value.number = answer.number
    value.items = list(answer.items)
    value.updated_by = user if getattr(user, "pk", None) else None
    if answer.data is not None:
        from ..filechecks import sha256_of

        value.content_type = answer.content_type
        value.sha256 = sha256_of(answer.data)
        value.size = len(answer.data)
        value.file.save("upload", ContentFile(answer.data), save=False)
    elif value.file:
        value.file = ""
        value.content_type = value.sha256 = ""
        value.size = None
    value.save()


def field_answer_write(
    *, submission: Submission, field: SubmissionField, answer: Answer, user: Any
) -> None:
    """Write one answer as it is (an archive restored): no window, no condition. Asks
    nothing; the caller asked (`transfer.import`)."""
    value = SubmissionFieldValue.objects.filter(submission=submission, field=field).first()
    _answer_write(submission=submission, field=field, value=value, answer=answer, user=user)


@transaction.atomic
def submission_create_with_answers(
    *, workshop: Workshop, user: User, answers: dict[str, Any], **fields: Any
) -> Submission:
    """`submission_create` and the draft's answers to the custom fields, in one transaction
    (one `submission.create` entry; the answers' rules as in `field_answers_save`)."""
    from .lifecycle import submission_create

    submission = submission_create(workshop=workshop, user=user, **fields)
    if answers:
        field_answers_save(submission=submission, user=user, answers=answers, record=False)
    return submission


@transaction.atomic
def submission_update_with_answers(
    *, submission: Submission, user: User, answers: dict[str, Any], **fields: Any
) -> list[str]:
    """`submission_update` and `field_answers_save` in one transaction (each writes its
    entry when it changed something). Returns the soft-limit warnings."""
    from .lifecycle import submission_update

    submission_update(submission=submission, user=user, **fields)
    return field_answers_save(submission=submission, user=user, answers=answers)
