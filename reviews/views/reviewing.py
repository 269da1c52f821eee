"""The reviewing pages: paper page with the review editor, discussion and meta-review."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from workshop.errors import ServiceError
from workshop.models import OtherReviewsVisibility, Workshop
from workshop.policy import can
from workshop.richtext import render_markdown

from ..models import (
    Assignment,
    MetaRecommendation,
    QuestionKind,
    QuestionVisibility,
    ReviewStatus,
)
from ..selectors.committee import workshop_for_reviewing
from ..selectors.reviewing import NotVisible, assignment_for, paper_page
from ..services import reviewing as services


def _workshop(request: HttpRequest, slug: str) -> Workshop:
    try:
        return workshop_for_reviewing(request.user, slug)
    except Workshop.DoesNotExist:
        raise Http404("No such workshop.") from None


def _page(request: HttpRequest, slug: str, number: int):
    workshop = _workshop(request, slug)
    try:
        return paper_page(request.user, workshop, number)
    except NotVisible:
        raise Http404("No such paper.") from None


def _assignment(request: HttpRequest, slug: str, number: int) -> Assignment:
    workshop = _workshop(request, slug)
    try:
        return assignment_for(request.user, workshop, number)
    except Assignment.DoesNotExist:
        raise Http404("No such assignment.") from None


def _answers(request: HttpRequest) -> dict[int, object]:
    answers: dict[int, object] = {}
    for key, value in request.POST.items():
        if key.startswith("q_") and key[2:].isdigit():
            answers[int(key[2:])] = value
    for key in request.POST.getlist("checkboxes"):
        if key.startswith("q_") and key[2:].isdigit() and key not in request.POST:
            answers[int(key[2:])] = False
    return answers


@login_required
def paper(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    page = _page(request, slug, number)
    own = page.own  # the review editor and the decline form: one's own assignment only
    return render(
        request,
        "reviews/paper.html",
        {
            "page": page,
            "workshop": page.workshop,
            "submission": page.submission,
            "kinds": QuestionKind,
            "review_status": ReviewStatus,
            "visibility": QuestionVisibility,
            "other_reviews": OtherReviewsVisibility,
            "recommendations": MetaRecommendation.choices,
            "may_write": own is not None and can(request.user, "reviews.write_review", own),
            "may_decline": own is not None and can(request.user, "reviews.decline", own),
            "form_values": request.session.pop(f"review-form-{page.submission.pk}", None),
        },
    )


@login_required
@xframe_options_sameorigin
def paper_pdf(request: HttpRequest, slug: str, number: int) -> FileResponse:
    """The anonymised (metadata-stripped) copy, inline for the viewer or as a download."""
    page = _page(request, slug, number)
    stored = page.submission.paper
    if stored is None:
        raise Http404("No PDF.")
    source = stored.reviewer_copy or stored.file
    # The original upload carries the authors' metadata: only those who may see the
    # submission itself (its chairs) get it while the anonymised copy is being made.
    if not stored.reviewer_copy and not can(request.user, "submissions.view", page.submission):
        raise Http404("The anonymised copy is not ready yet; try again in a minute.")
    name = f"{page.workshop.slug}-paper-{page.submission.number}.pdf"
    response = FileResponse(
        source.open("rb"),
        as_attachment=request.GET.get("download") == "1",
        filename=name,
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def review_autosave(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    assignment = _assignment(request, slug, number)
    try:
        services.review_save_draft(
            assignment=assignment, user=request.user, answers=_answers(request)
        )
    except ServiceError as exc:
        return HttpResponse(
            f'<span class="save-error">{exc.message}</span>', status=exc.status_code
        )
    stamp = timezone.localtime().strftime("%H:%M:%S")
    return HttpResponse(f'<span class="saved" data-saved="1">Draft saved at {stamp}</span>')


@login_required
@require_POST
def review_submit(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    assignment = _assignment(request, slug, number)
    try:
        services.review_submit(assignment=assignment, user=request.user, answers=_answers(request))
    except ServiceError as exc:
        if exc.status_code == 403:
            return render(request, "reviews/refused.html", {"message": exc.message}, status=403)
        # Keep what was typed: the page shows it again with the message.
        request.session[f"review-form-{assignment.submission_id}"] = {
            k: v for k, v in request.POST.items() if k.startswith("q_")
        }
        messages.error(request, exc.message)
        return redirect("reviews:paper", slug, number)
    messages.success(request, "Review submitted. Thank you! You can update it until the deadline.")
    return redirect("reviews:paper", slug, number)


@login_required
@require_POST
def assignment_decline(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    assignment = _assignment(request, slug, number)
    try:
        services.assignment_decline(
            assignment=assignment, user=request.user, reason=request.POST.get("reason", "")
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("reviews:paper", slug, number)
    messages.success(request, "You declined the paper; the chairs have been told.")
    return redirect("reviews:dashboard")


@login_required
@require_POST
def comment_post(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    page = _page(request, slug, number)
    try:
        services.comment_post(
            submission=page.submission,
            user=request.user,
            body=request.POST.get("body", ""),
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Comment posted; the others have been notified.")
    return redirect(reverse("reviews:paper", args=[slug, number]) + "#discussion")


@login_required
@require_POST
def meta_review_save(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    page = _page(request, slug, number)
    try:
        services.meta_review_save(
            submission=page.submission,
            user=request.user,
            recommendation=request.POST.get("recommendation", ""),
            text=request.POST.get("text", ""),
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Meta-review saved.")
    return redirect("reviews:paper", slug, number)


@login_required
@require_POST
def markdown_preview(request: HttpRequest) -> HttpResponse:
    """Rendered Markdown and math for the editor's preview (the same sanitiser as pages)."""
    fields = [v for k, v in request.POST.items() if k == "text" or k.startswith("q_")]
    text = (fields[0] if fields else "")[: services.MAX_TEXT]
    html = render_markdown(text) or "<p class='muted'>Nothing to preview.</p>"
    return HttpResponse(f'<div class="preview-body">{html}</div>')
