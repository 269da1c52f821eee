"""The paper page's tags, votes and review ratings (issue 28): thin views over
`reviews.services.tags` and `reviews.services.ratings`; each answers with a redirect to the
paper page (with the message), or 404 where the policy hides the paper or the review."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from submissions.models import Submission
from workshop.errors import NotFound, ServiceError
from workshop.posted import posted_text
from workshop.validators import whole_number

from ..models import Review, Vote
from ..services import ratings as rating_services
from ..services import tags as tag_services


def _paper(slug: str, number: int) -> Submission:
    paper = (
        Submission.objects.filter(workshop__slug=slug, number=number)
        .select_related("workshop")
        .first()
    )
    if paper is None:
        raise Http404("No such paper.")
    return paper


def _back(slug: str, number: int, anchor: str) -> HttpResponse:
    return redirect(reverse("reviews:paper", args=[slug, number]) + anchor)


def _run(request: HttpRequest, action, done: str) -> None:  # type: ignore[no-untyped-def]
    """Run the service; 404 for what the policy hides, a message for anything refused."""
    try:
        action()
    except NotFound:
        raise Http404("Not found.") from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)


@login_required
@require_POST
def tag_add(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    paper = _paper(slug, number)
    text = posted_text(request.POST, "tag").strip()
    _run(
        request,
        lambda: tag_services.paper_tag_set(
            actor=request.user,
            submission=paper,
            text=text,
            visibility=posted_text(request.POST, "visibility") or "shared",
        ),
        f"Tagged {text if text.startswith('#') else '#' + text}.",
    )
    return _back(slug, number, "#tags")


@login_required
@require_POST
def tag_remove(request: HttpRequest, slug: str, number: int, pk: int) -> HttpResponse:
    paper = _paper(slug, number)
    _run(
        request,
        lambda: tag_services.paper_tag_remove(actor=request.user, submission=paper, pk=pk),
        "Tag removed.",
    )
    return _back(slug, number, "#tags")


@login_required
@require_POST
def vote_cast(request: HttpRequest, slug: str, number: int, vote_id: int) -> HttpResponse:
    paper = _paper(slug, number)
    vote = Vote.objects.filter(pk=vote_id, workshop_id=paper.workshop_id).first()
    if vote is None:
        raise Http404("No such vote.")
    count = whole_number(posted_text(request.POST, "count"), max_digits=3)

    def cast() -> None:
        if count is None:
            raise ServiceError("Give a whole number of votes.")
        tag_services.paper_vote_cast(actor=request.user, vote=vote, submission=paper, count=count)

    _run(request, cast, f"Your vote in #{vote.name} is saved.")
    return _back(slug, number, "#tags")


@login_required
@require_POST
def review_rate(request: HttpRequest, slug: str, number: int, review_id: int) -> HttpResponse:
    paper = _paper(slug, number)
    review = (
        Review.objects.filter(pk=review_id, assignment__submission=paper)
        .select_related("assignment__submission__workshop")
        .first()
    )
    if review is None:
        raise Http404("No such review.")
    choice = posted_text(request.POST, "helpful")
    helpful = {"yes": True, "no": False, "clear": None}.get(choice, "")

    def rate() -> None:
        if helpful == "":
            raise ServiceError("Rate the review helpful or not helpful.")
        rating_services.review_rate(actor=request.user, review=review, helpful=helpful,
                                    reason=posted_text(request.POST, "reason"))  # fmt: skip

    _run(request, rate, "Your rating is saved." if helpful is not None else "Rating removed.")
    if posted_text(request.POST, "back") == "author":  # the authors' page of the paper
        return redirect(reverse("author_reviews", args=[paper.pk]) + "#ratings")
    return _back(slug, number, f"#review-{review.assignment.pseudonym}")
