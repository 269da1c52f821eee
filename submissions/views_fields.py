"""The authors' and chairs' download of an attachment answer (issue 27)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from workshop.files import stored_file_response

from .models import SubmissionFieldValue
from .selectors_fields import field_value_visible_to


def field_file_response(value: SubmissionFieldValue) -> HttpResponse:
    """An attachment named after the workshop, the number and the field, never after the
    uploader's file."""
    if not value.file:
        raise Http404("No file.")
    s = value.submission
    ext = "zip" if value.content_type == "application/zip" else "pdf"
    name = f"{s.workshop.slug}-{s.number}-{value.field.code}.{ext}"
    return stored_file_response(value.file, filename=name, content_type=value.content_type)


@login_required
def field_file(request: HttpRequest, pk: int, value_pk: int) -> HttpResponse:
    try:
        value = field_value_visible_to(request.user, pk, value_pk)
    except SubmissionFieldValue.DoesNotExist:
        raise Http404("No such file.") from None
    return field_file_response(value)
