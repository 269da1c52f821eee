"""The reviewing pages: the paper's forum (the paper, the score summary, the reviews, the
reviewer's own review and editor, the meta-review and the discussion threads), its autosave
endpoint, and the area chairs' console. Thin views over selectors and services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from submissions.selectors_fields import field_lines_in_review
from workshop.errors import ServiceError
from workshop.files import stored_file_response
from workshop.models import OtherReviewsVisibility, Role, Workshop
from workshop.plurals import counted
from workshop.policy import can
from workshop.posted import posted_text
from workshop.richtext import render_markdown
from workshop.validators import whole_number

from ..llm_use import QUESTION as LLM_QUESTION
from ..llm_use import llm_asks_statement, llm_choices, llm_policy_words, llm_question_asked
from ..models import (
    Assignment,
    Comment,
    MetaRecommendation,
    QuestionKind,
    QuestionVisibility,
    Review,
    ReviewStatus,
)
from ..models.reviewing import CommentAudience
from ..permissions import own_assignment
from ..selectors.committee import workshop_for_reviewing
from ..selectors.external import external_panel
from ..selectors.flags import review_flag_lines
from ..selectors.ratings import review_ratings_attach
from ..selectors.reviewing import (
    CONSOLE_FILTERS,
    NotVisible,
    area_chair_console,
    assignment_for,
    paper_page,
)
from ..selectors.tags import paper_tag_panel
from ..services import reviewing as services
from ..services.copies import review_copy_for, review_copy_prepare


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


def _revision(request: HttpRequest) -> int | None:
    """The revision the writer's page last saw (None from a client that does not say)."""
    raw = request.POST.get("revision", "")
    return whole_number(raw, max_digits=9)


def _answers(request: HttpRequest) -> dict[int, object]:
    answers: dict[int, object] = {}
    for key, value in request.POST.items():
        if key.startswith("q_") and whole_number(key[2:]) is not None:
            answers[int(key[2:])] = value
    for key in request.POST.getlist("checkboxes"):
        if key.startswith("q_") and whole_number(key[2:]) is not None and key not in request.POST:
            answers[int(key[2:])] = False
    return answers


def _llm_declaration(request: HttpRequest) -> dict[str, str | None]:
    """The LLM-use declaration as posted, for the review services: None from a page that
    did not ask it (unchanged); a page that asked it (`llm_asked`) with no answer ticked
    posts an empty answer, which a submit refuses."""
    if "llm_asked" not in request.POST:
        return {"llm_use": None, "llm_statement": None}
    return {
        "llm_use": posted_text(request.POST, "llm_use"),
        "llm_statement": posted_text(request.POST, "llm_statement"),
    }


def _llm_form(workshop: Workshop, review: Review | None, typed: dict | None
              ) -> dict[str, object] | None:  # fmt: skip
    """The review form's LLM question under the workshop's policy (None: no policy), with
    the writer's answer: as typed in a refused submit, else as stored."""
    if not llm_question_asked(workshop):
        return None
    typed = typed or {}
    return {
        "question": LLM_QUESTION,
        "policy": llm_policy_words(workshop),
        "choices": llm_choices(workshop),
        "asks_statement": llm_asks_statement(workshop),
        "chosen": typed.get("llm_use", review.llm_use if review else ""),
        "statement": typed.get("llm_statement", review.llm_statement if review else ""),
    }


@login_required
def paper(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    page = _page(request, slug, number)
    previous = services.paper_visit_record(user=request.user, submission=page.submission)
    page.mark_new(previous.seen_at if previous else None)
    own = page.own  # the review editor and the decline form: one's own assignment only
    if page.workshop.review_copy_canary and (own or page.is_ac):
        review_copy_prepare(own or own_assignment(request.user, page.submission, Role.AREA_CHAIR))
    conflict = request.session.pop(f"review-conflict-{page.submission.pk}", None)
    typed = request.session.pop(f"review-form-{page.submission.pk}", None)
    review_ratings_attach(request.user, page.reviews, page.submission)
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
            "audiences": CommentAudience,
            "recommendations": MetaRecommendation.choices,
            "may_write": own is not None and can(request.user, "reviews.write_review", own),
            "may_decline": own is not None and can(request.user, "reviews.decline", own),
            "llm": _llm_form(page.workshop, page.own_review, typed) if own is not None else None,
            "form_values": typed,
            "conflict": conflict,
            "comment_draft": request.session.pop(f"comment-draft-{page.submission.pk}", ""),
            "review_flags": review_flag_lines(request.user, page.submission),
            "field_lines": field_lines_in_review(request.user, [page.submission])[
                page.submission.pk
            ],
            "tag_panel": paper_tag_panel(request.user, page.submission),
            "external": external_panel(
                request.user,
                page.submission,
                request.session.pop(f"external-draft-{page.submission.pk}", None),
            ),
        },
    )


@login_required
@xframe_options_sameorigin
def paper_pdf(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """The anonymised (metadata-stripped) copy, inline for the viewer or as a download; with
    the workshop's canaries on, the copy made for the viewer's own assignment (reviewer or
    area chair; `reviews.services.copies`), or 503 while a worker makes it."""
    page = _page(request, slug, number)
    stored = page.submission.paper
    if stored is None:
        raise Http404("No PDF.")
    source = stored.reviewer_copy or stored.file
    # The original upload carries the authors' metadata: only those who may see the
    # submission itself (its chairs) get it while the anonymised copy is being made.
    if not stored.reviewer_copy and not can(request.user, "submissions.view", page.submission):
        raise Http404("The anonymised copy is not ready yet; try again in a minute.")
    own = None
    if page.workshop.review_copy_canary and stored.reviewer_copy:
        own = page.own or own_assignment(request.user, page.submission, Role.AREA_CHAIR)
    if own is not None:
        copy = review_copy_for(own)
        if copy is None:
            response = HttpResponse(
                "Your review copy of this paper is being prepared; try again in a minute.",
                status=503,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = "30"
            return response
        source = copy.file
    name = f"{page.workshop.slug}-paper-{page.submission.number}.pdf"
    return stored_file_response(
        source,
        filename=name,
        content_type="application/pdf",
        as_attachment=request.GET.get("download") == "1",
    )


def _json(data: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


@login_required
@require_POST
def review_autosave(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """JSON for the editor's script: 200 saved (or nothing to save) with the new revision;
    409 a stale revision or a submitted review, with the stored answers to compare; 400/403
    a refusal with its message."""
    assignment = _assignment(request, slug, number)
    try:
        review = services.review_save_draft(
            assignment=assignment,
            user=request.user,
            answers=_answers(request),
            revision=_revision(request),
            **_llm_declaration(request),
        )
    except services.StaleDraft as exc:
        return _json(
            {
                "error": exc.message,
                "conflict": True,
                "submitted": exc.submitted,
                "revision": exc.revision,
                "saved": {f"q_{k}": v for k, v in exc.saved.items()},
            },
            status=exc.status_code,
        )
    except ServiceError as exc:
        return _json({"error": exc.message}, status=exc.status_code)
    stamp = timezone.localtime(review.updated_at).strftime("%H:%M:%S")
    submitted = review.status == ReviewStatus.SUBMITTED
    return _json(
        {
            "revision": review.revision,
            "status": review.status,
            "message": "Already submitted with this text." if submitted
            else f"Draft saved at {stamp}",
        }
    )  # fmt: skip


@login_required
@require_POST
def review_submit(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    assignment = _assignment(request, slug, number)
    try:
        services.review_submit(
            assignment=assignment,
            user=request.user,
            answers=_answers(request),
            revision=_revision(request),
            # The editor's "sign this review" box (absent from older pages: unchanged).
            signed=request.POST.get("signed") == "on" if "sign_choice" in request.POST else None,
            **_llm_declaration(request),
        )
    except ServiceError as exc:
        if exc.status_code == 403:
            return render(request, "reviews/refused.html", {"message": exc.message}, status=403)
        # Keep what was typed: the page shows it again with the message (and, for a stale
        # page, the stored text beside it).
        request.session[f"review-form-{assignment.submission_id}"] = {
            k: v for k, v in request.POST.items() if k.startswith(("q_", "llm_"))
        }
        if isinstance(exc, services.StaleDraft):
            request.session[f"review-conflict-{assignment.submission_id}"] = {
                "revision": exc.revision,
                "saved": {str(k): v for k, v in exc.saved.items()},
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
            assignment=assignment, user=request.user, reason=posted_text(request.POST, "reason")
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
    parent_id = request.POST.get("parent", "")
    parent_pk = whole_number(parent_id)
    parent = Comment(pk=parent_pk) if parent_pk is not None else None
    try:
        services.comment_post(
            submission=page.submission,
            user=request.user,
            body=posted_text(request.POST, "body"),
            parent=parent,
            audience=request.POST.get("audience") or CommentAudience.COMMITTEE,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        request.session[f"comment-draft-{page.submission.pk}"] = posted_text(request.POST, "body")
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
            text=posted_text(request.POST, "text"),
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


@login_required
def area_chair(request: HttpRequest) -> HttpResponse:
    """The area chairs' console: their papers only, per workshop, filterable."""
    slug = request.GET.get("workshop", "")
    show = request.GET.get("show", "")
    if show not in CONSOLE_FILTERS:
        show = ""
    groups = area_chair_console(request.user, slug=slug, show=show)
    every = area_chair_console(request.user) if slug else groups
    if not every:
        raise Http404("You are not an area chair.")
    return render(
        request,
        "reviews/area_chair.html",
        {
            "groups": groups,
            "workshops": [g.workshop for g in every],
            "slug": slug,
            "show": show,
            "filters": CONSOLE_FILTERS,
        },
    )


@login_required
@require_POST
def remind_reviewers(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    page = _page(request, slug, number)
    try:
        queued = services.paper_reviewers_remind(submission=page.submission, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        if queued:
            messages.success(request, f"Reminded {counted(queued, 'reviewer')} of #{number}.")
        else:
            messages.info(request, f"Nobody new to remind on #{number} today.")
    back = request.POST.get("next", "")
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect("reviews:paper", slug, number)
