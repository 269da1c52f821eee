"""The author form's part for the chairs' custom fields (issue 27): validation only.

Built from the workshop's fields; shown on the same page as `SubmissionForm` (prefix
`cf`). Its checks are the service's (`answer_clean`, `field_applies`, `answers_missing`),
so what the page refuses, the server refuses too, with the same words.
"""

from __future__ import annotations

from typing import Any

from django import forms

from workshop.models import User, Workshop
from workshop.policy import can
from workshop.validators import OneLineInputs

from .filechecks import FileCheckError
from .models import FieldKind, Submission, SubmissionField, SubmissionFieldValue
from .selectors_fields import answer_key, field_values_of, submission_fields
from .services.fields import AnswerError, answer_clean, answers_missing, soft_limit_warning


def _form_field(field: SubmissionField) -> forms.Field:
    kind = field.kind
    common = {"label": field.label, "help_text": field.help_text, "required": False}
    choices = [(c, c) for c in field.choice_list]
    if kind == FieldKind.CHECKBOX:
        return forms.BooleanField(**common)
    if kind == FieldKind.CHECKBOXES:
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == FieldKind.RADIO:
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    if kind == FieldKind.SELECT:
        return forms.ChoiceField(choices=[("", "—"), *choices], **common)
    if kind == FieldKind.NUMBER:
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    if kind == FieldKind.URL:
        return forms.CharField(
            widget=forms.URLInput(attrs={"placeholder": "https://"}), max_length=2000, **common
        )
    if kind == FieldKind.ATTACHMENT:
        return forms.FileField(allow_empty_file=True, **common)
    if kind == FieldKind.LONG_TEXT:
        limit = field.hard_word_limit or field.soft_word_limit
        help_text = field.help_text
        if limit:
            help_text = f"{help_text} At most {limit:,} words.".strip()
        common["help_text"] = help_text
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), **common)
    return forms.CharField(max_length=500, **common)


class FieldAnswersForm(OneLineInputs, forms.Form):
    """One input per custom field. Fields whose milestone has passed are shown disabled."""

    prefix = "cf"

    def __init__(
        self,
        *args: Any,
        workshop: Workshop,
        user: User,
        submission: Submission | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.workshop = workshop
        self.submission = submission
        self.custom = submission_fields(workshop)
        self.stored: dict[int, SubmissionFieldValue] = {}
        if submission is not None and self.custom:
            self.stored = field_values_of([submission.pk])[submission.pk]
        self.warnings: list[str] = []
        by_id = {f.pk: f for f in self.custom}
        for field_id, value in self.stored.items():
            value.field = by_id[field_id]
        for field in self.custom:
            form_field = _form_field(field)
            form_field.custom = field  # type: ignore[attr-defined]
            form_field.is_required = field.required  # type: ignore[attr-defined]
            value = self.stored.get(field.pk)
            if value is not None:
                self.initial[field.code] = _initial(value)
            if submission is not None:
                probe = value or SubmissionFieldValue(submission=submission, field=field)
                form_field.disabled = not can(user, "submissions.answer_field", probe)
            self.fields[field.code] = form_field
        self.harden()  # the fields added above refuse line breaks too

    def rows(self) -> list[dict[str, Any]]:
        """The bound fields with the data the page's script needs to show or hide them."""
        rows = []
        for field in self.custom:
            rows.append(
                {
                    "bound": self[field.code],
                    "field": field,
                    "when_field": field.condition_field.code if field.condition_field else "",
                    "when_value": field.condition_value,
                    "types": ",".join(str(t.pk) for t in field.submission_types.all()),
                    "stored": self.stored.get(field.pk),
                }
            )
        return rows

    def clean_with(self, submission_type_id: int | None) -> None:
        """Check every answer and the required ones, for a paper of this type (the main
        form's choice). Call after `is_valid`; errors land on their fields."""
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return
        limit = self.workshop.upload_limit_bytes
        keys: dict[int, Any] = {}
        for field in self.custom:
            value = self.stored.get(field.pk)
            if self.fields[field.code].disabled:
                if value is not None:
                    keys[field.pk] = answer_key(value)
                continue
            raw = self.cleaned_data.get(field.code)
            if field.kind == FieldKind.ATTACHMENT and not raw:
                if value is not None and value.file:
                    keys[field.pk] = True
                continue
            try:
                answer = answer_clean(field, raw, upload_limit=limit)
            except AnswerError as exc:
                self.add_error(field.code, exc.message)
                continue
            except FileCheckError as exc:
                self.add_error(field.code, f"The file was not accepted: {exc.message}")
                continue
            if not answer.is_empty:
                keys[field.pk] = answer.key
            if warning := soft_limit_warning(field, answer.text):
                self.warnings.append(warning)
        for field in answers_missing(
            self.custom, submission_type_id=submission_type_id, answers=keys
        ):
            if not self.fields[field.code].disabled and field.code not in self.errors:
                self.add_error(field.code, f"“{field.label}” is required.")

    def answers(self) -> dict[str, Any]:
        """The answers to save, by code: the enabled fields (an attachment only when a new
        file was chosen)."""
        found = {}
        for field in self.custom:
            if self.fields[field.code].disabled:
                continue
            raw = self.cleaned_data.get(field.code)
            if field.kind == FieldKind.ATTACHMENT:
                if raw:
                    raw.seek(0)
                    found[field.code] = raw
                continue
            found[field.code] = raw
        return found


def _initial(value: SubmissionFieldValue) -> Any:
    kind = value.field.kind
    if kind == FieldKind.CHECKBOX:
        return bool(value.text)
    if kind == FieldKind.CHECKBOXES:
        return list(value.items)
    if kind == FieldKind.NUMBER:
        return value.display
    if kind == FieldKind.ATTACHMENT:
        return None
    return value.text
