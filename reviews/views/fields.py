"""An attachment answer to a custom field (issue 27), for who reads the paper in the review
tools (`reviews.view_paper`) and may read the field (`submissions.view_field_in_review`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest

from submissions.models import SubmissionFieldValue
from submissions.views_fields import field_file_response
from workshop.policy import can

from .reviewing import _page


@login_required
def field_file(request: HttpRequest, slug: str, number: int, value_pk: int) -> FileResponse:
    page = _page(request, slug, number)
    value = (
        SubmissionFieldValue.objects.select_related("field__workshop", "submission__workshop")
        .filter(pk=value_pk, submission=page.submission)
        .first()
    )
    if value is None or not can(request.user, "submissions.view_field_in_review", value.field):
        raise Http404("No such file.")
    return field_file_response(value)
