"""Custom submission fields (issue 27) through the API: a workshop's questions (read), and
a paper's answers for its authors and chairs (read; written by its contact authors through
`submissions.services.field_answers_save`, with the browser form's checks and windows)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from submissions import selectors
from submissions.models import FieldKind, Submission, SubmissionField, SubmissionFieldValue
from submissions.selectors_fields import field_values_of, submission_fields
from submissions.services import field_answers_save
from workshop.errors import NotFound

from .. import access
from .base import ApiView


class SubmissionFieldSerializer(serializers.ModelSerializer):
    choices = serializers.ListField(child=serializers.CharField(), source="choice_list")
    submission_types = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    condition_field = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = SubmissionField
        fields = [
            "code", "label", "help_text", "kind", "choices", "required", "submission_types",
            "condition_field", "condition_value", "soft_word_limit", "hard_word_limit",
            "editable_until", "visibility", "identifying", "order",
        ]  # fmt: skip
        read_only_fields = fields


def answer_json(value: SubmissionFieldValue) -> Any:
    """One stored answer as JSON: a boolean, a list, a number, a text, or a file's facts."""
    kind = value.field.kind
    if kind == FieldKind.CHECKBOX:
        return bool(value.text)
    if kind == FieldKind.CHECKBOXES:
        return list(value.items)
    if kind == FieldKind.NUMBER:
        return None if value.number is None else float(value.number)
    if kind == FieldKind.ATTACHMENT:
        if not value.file:
            return None
        return {"size": value.size, "sha256": value.sha256, "content_type": value.content_type}
    return value.text


def answers_json(submission: Submission) -> dict[str, Any]:
    """The paper's answers by field code (every field of its workshop; null: unanswered)."""
    fields = submission_fields(submission.workshop_id)
    stored = field_values_of([submission.pk])[submission.pk]
    out: dict[str, Any] = {}
    for field in fields:
        value = stored.get(field.pk)
        if value is not None:
            value.field = field
        out[field.code] = answer_json(value) if value is not None else None
    return out


class SubmissionFieldList(ApiView):
    """The questions a workshop asks on its submission form, in form order."""

    serializer_class = SubmissionFieldSerializer

    @extend_schema(responses={200: SubmissionFieldSerializer(many=True)})
    def get(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        page = self.paginate_queryset(submission_fields(workshop))
        return self.get_paginated_response(SubmissionFieldSerializer(page, many=True).data)


def _submission(request, pk: int) -> Submission:
    """A paper on its author pages (`submissions.view`: its authors and chairs) within the
    token's reach, else 404."""
    try:
        found = selectors.submission_for_viewer(request.user, pk)
    except Submission.DoesNotExist:
        raise NotFound() from None
    if not access.in_scope(request, found):
        raise NotFound()
    return found


class SubmissionAnswers(ApiView):
    """A paper's answers to its workshop's custom fields, by code. PUT (JSON, or multipart
    for attachments) changes the answers it names; the others are kept. Refusals name the
    field (400), a closed field is 403."""

    serializer_class = None
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        return Response({"answers": answers_json(_submission(request, pk))})

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def put(self, request, pk: int):
        submission = _submission(request, pk)
        access.check(request, "submissions.contact", submission,
                     "Only the contact authors of this paper answer its questions.")  # fmt: skip
        data = request.data
        if not hasattr(data, "keys"):
            raise serializers.ValidationError({"answers": ["Send an object of answers by code."]})
        answers: dict[str, Any] = {}
        for code in data:
            value = data.getlist(code) if hasattr(data, "getlist") else data[code]
            if hasattr(data, "getlist") and len(value) == 1:
                value = value[0]
            answers[code] = value
        for code, upload in getattr(request, "FILES", {}).items():
            answers[code] = upload
        warnings = field_answers_save(submission=submission, user=request.user, answers=answers)
        return Response({"answers": answers_json(submission), "warnings": warnings})
