"""The authors' side after review: released reviews, the decision, the response."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from submissions.models import Submission
from submissions.selectors import submission_for_viewer
from submissions.services.lifecycle import submission_reviews_seen
from workshop.errors import ServiceError
from workshop.policy import can
from workshop.posted import posted_text

from ..models import AuthorResponse, Outcome, Review, ReviewStatus
from ..selectors.ratings import author_rating_lines
from ..selectors.rounds import response_window_for
from ..services.decisions import author_visible_reviews
from ..services.responses import NOT_ITS_REVIEW, response_save, word_count


@login_required
@require_http_methods(["GET", "POST"])
def author_reviews(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        submission = submission_for_viewer(request.user, pk)
    except Submission.DoesNotExist:
        raise Http404("No such submission.") from None
    workshop = submission.workshop
    reviews_out = can(request.user, "reviews.read_released", submission)
    decision_out = can(request.user, "decisions.see", submission)
    if not (reviews_out or decision_out):
        raise Http404("Nothing has been released yet.")
    window = can(request.user, "reviews.respond", submission)
    response_window = response_window_for(submission) if window else None
    if request.method == "POST":
        if not reviews_out:
            raise Http404
        # The response answers one submitted review (named as the page names it) or all.
        reviews = {
            f"Reviewer {r.assignment.pseudonym}": r
            for r in Review.objects.filter(
                assignment__submission=submission, status=ReviewStatus.SUBMITTED
            ).select_related("assignment")
        }
        name = request.POST.get("review", "")
        try:
            if name and name not in reviews:
                raise ServiceError(NOT_ITS_REVIEW)
            text = posted_text(request.POST, "text")
            response_save(submission=submission, user=request.user, text=text,
                          review=reviews.get(name))  # fmt: skip
        except ServiceError as exc:
            messages.error(request, exc.message)
            request.session[f"response-draft-{submission.pk}"] = {
                "review": request.POST.get("review", ""),
                "text": posted_text(request.POST, "text"),
            }
        else:
            messages.success(request, "Response saved; the reviewers have been told.")
            soft = response_window.words_soft if response_window else 0
            if soft and word_count(text) > soft:
                messages.warning(
                    request,
                    f"Your response has {word_count(text)} words, more than the {soft} this "
                    "round asks for: please shorten it if you can.",
                )
        return redirect("author_reviews", submission.pk)
    responses = {
        (f"Reviewer {r.review.assignment.pseudonym}" if r.review else ""): r
        for r in AuthorResponse.objects.filter(submission=submission).select_related(
            "review__assignment"
        )
    }
    shown = author_visible_reviews(submission) if reviews_out else []
    if reviews_out and shown:
        # The withdraw ladder: once an author has read released reviews, only the chairs
        # withdraw the paper.
        submission_reviews_seen(submission=submission, user=request.user)
    draft = request.session.pop(f"response-draft-{submission.pk}", None) or {}
    decision = getattr(submission, "decision", None) if decision_out else None
    return render(
        request,
        "reviews/author_reviews.html",
        {
            "submission": submission,
            "workshop": workshop,
            "reviews": [
                (
                    name,
                    answers,
                    responses.get(name),
                    draft.get("text") if draft.get("review") == name else None,
                )
                for name, answers in shown
            ],
            "general_response": responses.get(""),
            "decision": decision,
            "window": window,
            "reviews_out": reviews_out,
            "outcomes": Outcome,
            "draft": draft.get("text", "") if not draft.get("review") else "",
            "limit": response_window.words_hard if response_window else 0,
            "response_window": response_window,
            "word_count": word_count,
            "rating_lines": author_rating_lines(request.user, submission) if reviews_out else [],
        },
    )
