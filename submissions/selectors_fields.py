"""Reads of the custom submission fields (issue 27): which fields a workshop asks, which
apply to a paper, and the answers a viewer may read. Every list is read in a fixed number of
queries, whatever the number of fields or papers (the desk, the forum and the lists pin it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser

from workshop.models import Workshop
from workshop.policy import can

from .models import Submission, SubmissionField, SubmissionFieldValue


def submission_fields(workshop: Workshop | int) -> list[SubmissionField]:
    """The workshop's fields in form order, with their submission types (two queries)."""
    workshop_id = workshop if isinstance(workshop, int) else workshop.pk
    return list(
        SubmissionField.objects.filter(workshop_id=workshop_id)
        .select_related("workshop", "condition_field")
        .prefetch_related("submission_types")
    )


def field_applies(
    field: SubmissionField, *, submission_type_id: int | None, answers: dict[int, Any]
) -> bool:
    """Whether the form asks `field` of a paper of this type whose answers (by field id:
    the stored or typed value, see `answer_key`) are these: its types (none: every type)
    and its condition on another field's answer."""
    types = {t.pk for t in field.submission_types.all()}
    if types and submission_type_id not in types:
        return False
    other = field.condition_field
    if other is None:
        return True
    if not field_applies(other, submission_type_id=submission_type_id, answers=answers):
        return False
    given = answers.get(other.pk)
    wanted = field.condition_value.strip().lower()
    if not wanted:
        return bool(given)
    if isinstance(given, list):
        return wanted in {str(v).lower() for v in given}
    if isinstance(given, bool):
        return given == (wanted in ("yes", "true", "1", "on"))
    return str(given or "").strip().lower() == wanted


def answer_key(value: SubmissionFieldValue) -> Any:
    """A stored answer as `field_applies` compares it."""
    from .models import FieldKind

    kind = value.field.kind
    if kind == FieldKind.CHECKBOX:
        return bool(value.text)
    if kind == FieldKind.CHECKBOXES:
        return list(value.items)
    if kind == FieldKind.NUMBER:
        return value.number
    if kind == FieldKind.ATTACHMENT:
        return bool(value.file)
    return value.text


def field_values_of(submission_ids: Iterable[int]) -> dict[int, dict[int, SubmissionFieldValue]]:
    """The stored answers of these papers: `{submission_id: {field_id: value}}`, in one
    query (the fields are read once by the caller and attached, never per answer)."""
    ids = list(submission_ids)
    found: dict[int, dict[int, SubmissionFieldValue]] = {pk: {} for pk in ids}
    if not ids:
        return found
    for value in SubmissionFieldValue.objects.filter(submission_id__in=ids):
        found[value.submission_id][value.field_id] = value
    return found


@dataclass(frozen=True)
class FieldLine:
    """One answered field as a page shows it."""

    field: SubmissionField
    value: SubmissionFieldValue

    @property
    def label(self) -> str:
        return self.field.label

    @property
    def code(self) -> str:
        return self.field.code

    @property
    def text(self) -> str:
        return self.value.display

    @property
    def is_url(self) -> bool:
        return self.field.kind == "url"

    @property
    def is_attachment(self) -> bool:
        return self.field.kind == "attachment"


def _lines(
    fields: list[SubmissionField], values: dict[int, SubmissionFieldValue]
) -> list[FieldLine]:
    lines = []
    for field in fields:
        value = values.get(field.pk)
        if value is not None and not value.is_empty:
            value.field = field  # the field read once, not once per answer
            lines.append(FieldLine(field, value))
    return lines


def fields_in_review(user: Any, workshop: Workshop | int) -> list[SubmissionField]:
    """The fields whose answers `user` reads in the review tools (`view_field_in_review`):
    all for the chairs; reviewers' and public ones, not identifying ones under double-blind,
    for the committee. The caller has checked that the user sees the papers."""
    return [
        f for f in submission_fields(workshop) if can(user, "submissions.view_field_in_review", f)
    ]


def field_lines_in_review(
    user: Any, submissions: list[Submission], fields: list[SubmissionField] | None = None
) -> dict[int, list[FieldLine]]:
    """The answers `user` reads on each of these papers in the review tools (the desk, the
    forum): `{submission_id: [FieldLine]}`, in three queries however many papers and fields
    (pass `fields` from `fields_in_review` to reuse them)."""
    if not submissions:
        return {}
    if fields is None:
        fields = fields_in_review(user, submissions[0].workshop_id)
    if not fields:
        return {s.pk: [] for s in submissions}
    values = field_values_of(s.pk for s in submissions)
    return {s.pk: _lines(fields, values[s.pk]) for s in submissions}


def field_lines_for_author(
    submission: Submission, *, fields: list[SubmissionField] | None = None
) -> list[FieldLine]:
    """Every answer of the paper, for its authors' and its chairs' page (`fields`: the
    workshop's, when the caller has read them already)."""
    if fields is None:
        fields = submission_fields(submission.workshop_id)
    return _lines(fields, field_values_of([submission.pk])[submission.pk])


def field_lines_public(submissions: list[Submission]) -> dict[int, list[FieldLine]]:
    """The public answers of accepted papers (`view_field_public`), for the public pages."""
    if not submissions:
        return {}
    fields = [
        f
        for f in submission_fields(submissions[0].workshop_id)
        if can(AnonymousUser(), "submissions.view_field_public", f)
    ]
    values = field_values_of(s.pk for s in submissions) if fields else {}
    return {s.pk: _lines(fields, values.get(s.pk, {})) for s in submissions}


def field_value_visible_to(user: Any, submission_pk: int, value_pk: int) -> SubmissionFieldValue:
    """An answer (its attachment) for a viewer who may read it: the paper's authors and
    chairs (`submissions.view`), or a viewer of the review tools who may read the field and
    sees the paper (`reviews` asks `submissions.view_field_in_review` for the forum and
    passes `in_review=True` through its own selector). Raises DoesNotExist otherwise."""
    value = SubmissionFieldValue.objects.select_related(
        "field__workshop", "submission__workshop"
    ).get(pk=value_pk, submission_id=submission_pk)
    if can(user, "submissions.view", value.submission):
        return value
    raise SubmissionFieldValue.DoesNotExist


@dataclass(frozen=True)
class FieldTable:
    """The answers of a list of papers as columns (the desk, the CSV exports): one column
    per field code the viewer may read, in form order; `cells[paper_pk][code]` in words."""

    codes: list[str]
    labels: dict[str, str]
    cells: dict[int, dict[str, str]]

    def row(self, submission_pk: int) -> list[str]:
        found = self.cells.get(submission_pk, {})
        return [found.get(code, "") for code in self.codes]

    def summary(self, submission_pk: int) -> str:
        """One cell for all of a paper's answers: "GPU hours: 120; Licence: MIT"."""
        found = self.cells.get(submission_pk, {})
        return "; ".join(f"{self.labels[c]}: {found[c]}" for c in self.codes if found.get(c))


def field_table(user: Any, submissions: Iterable[Submission]) -> FieldTable:
    """The answers `user` may read in the review tools (`view_field_in_review`) on these
    papers, of one or several workshops, in three queries however many papers and fields."""
    papers = list(submissions)
    workshop_ids = sorted({s.workshop_id for s in papers})
    fields = [
        f
        for f in SubmissionField.objects.filter(workshop_id__in=workshop_ids)
        .select_related("workshop")
        .order_by("workshop_id", "order", "pk")
        if can(user, "submissions.view_field_in_review", f)
    ]
    codes: list[str] = []
    labels: dict[str, str] = {}
    for field in fields:
        if field.code not in labels:
            codes.append(field.code)
            labels[field.code] = field.label
    by_id = {f.pk: f for f in fields}
    cells: dict[int, dict[str, str]] = {s.pk: {} for s in papers}
    if fields:
        for value in SubmissionFieldValue.objects.filter(
            submission_id__in=[s.pk for s in papers], field_id__in=list(by_id)
        ):
            value.field = by_id[value.field_id]
            cells[value.submission_id][value.field.code] = value.display
    return FieldTable(codes, labels, cells)


def field_cells(user: Any, submissions: Iterable[Submission]) -> dict[int, str]:
    """One desk cell per paper summing up the answers `user` may read (`field_table`)."""
    papers = list(submissions)
    table = field_table(user, papers)
    return {s.pk: table.summary(s.pk) for s in papers}
