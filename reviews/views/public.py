"""The public forums of open reviewing (issue 14): the per-workshop index, a paper's forum
with its public comments, the anonymised PDF of a published paper that has no camera-ready
version, and the chairs' moderation list. Thin views over `selectors.public` and
`services.openness`; every question of what is public is a named permission."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from submissions.models import Submission
from submissions.views import file_response
from workshop.errors import NotFound, ServiceError
from workshop.models import Workshop
from workshop.plurals import counted
from workshop.policy import can
from workshop.posted import posted_text

from ..models import PublicComment
from ..permissions import PUBLIC_COMMENT_RATE
from ..selectors.public import NotPublished, forum_index, forum_page, held_comments
from ..services.openness import MAX_PUBLIC_COMMENT, public_comment_post, public_comments_moderate


def _workshop(slug: str) -> Workshop:
    return get_object_or_404(Workshop, slug=slug)


def index(request: HttpRequest, slug: str) -> HttpResponse:
    workshop = _workshop(slug)
    if not can(request.user, "reviews.view_public_forum", workshop):
        raise Http404("This workshop publishes no forums.")
    return render(
        request,
        "reviews/public/index.html",
        {"workshop": workshop, "rows": forum_index(request.user, workshop)},
    )


def forum(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    workshop = _workshop(slug)
    try:
        page = forum_page(request.user, workshop, number)
    except NotPublished:
        raise Http404("No such forum.") from None
    submission = page.submission
    may_comment = can(request.user, "reviews.comment_publicly", submission)
    return render(
        request,
        "reviews/public/forum.html",
        {
            "page": page,
            "workshop": workshop,
            "submission": submission,
            "may_comment": may_comment,
            # Signed in, on a published forum, refused: the rate limit (said before typing).
            "rate_limited": request.user.is_authenticated and not may_comment,
            "rate": PUBLIC_COMMENT_RATE,
            "max_length": MAX_PUBLIC_COMMENT,
            "draft": request.session.pop(f"public-comment-draft-{submission.pk}", ""),
            "canonical": request.build_absolute_uri(
                reverse("forum:paper", args=[workshop.slug, submission.number])
            ),
            "pdf_absolute": request.build_absolute_uri(page.pdf_url) if page.pdf_url else "",
        },
    )


@login_required
@require_POST
def comment(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    workshop = _workshop(slug)
    submission = Submission.objects.filter(workshop=workshop, number=number).first()
    if submission is None:
        raise Http404("No such forum.")
    try:
        # The service asks `reviews.view_public_forum` (NotFound) and the rest itself.
        public_comment_post(
            actor=request.user, submission=submission, body=posted_text(request.POST, "body")
        )
    except NotFound:
        raise Http404("No such forum.") from None
    except ServiceError as exc:
        messages.error(request, exc.message)
        request.session[f"public-comment-draft-{submission.pk}"] = posted_text(request.POST, "body")
    else:
        messages.success(
            request,
            "Thank you: your comment is held for the chairs' moderation and appears here once "
            "they approve it.",
        )
    return redirect(reverse("forum:paper", args=[slug, number]) + "#comments")


def pdf(request: HttpRequest, slug: str, number: int) -> FileResponse:
    """The anonymised copy (metadata stripped) of a published paper's submitted PDF, for
    forums of papers without a camera-ready version; never the original upload."""
    workshop = _workshop(slug)
    try:
        page = forum_page(request.user, workshop, number)
    except NotPublished:
        raise Http404("No such forum.") from None
    stored = page.submission.paper
    if stored is None or stored.submission_id != page.submission.pk or not stored.reviewer_copy:
        raise Http404("No public PDF.")
    stored.submission = page.submission
    return file_response(stored, reviewer_copy=True)


@login_required
@require_http_methods(["GET", "POST"])
def moderation(request: HttpRequest, slug: str) -> HttpResponse:
    """The chairs' list of held comments, with approve and reject buttons."""
    workshop = _workshop(slug)
    if not can(request.user, "reviews.moderate_public_comments", workshop):
        raise Http404("No such page.")
    if request.method == "POST":
        verdict = request.POST.get("verdict", "")
        ids = [int(x) for x in request.POST.getlist("comment") if x.isdigit() and len(x) <= 12]
        ids = list(
            PublicComment.objects.filter(pk__in=ids, submission__workshop=workshop).values_list(
                "pk", flat=True
            )
        )
        if verdict not in ("approve", "reject") or not ids:
            messages.error(request, "Choose comments and approve or reject them.")
        else:
            try:
                changed = public_comments_moderate(
                    actor=request.user,
                    comment_ids=ids,
                    approve=verdict == "approve",
                    reason=posted_text(request.POST, "reason").strip()[:300],
                )
            except ServiceError as exc:
                messages.error(request, exc.message)
            else:
                done = "approved" if verdict == "approve" else "rejected"
                messages.success(request, f"{counted(changed, 'comment')} {done}.")
        return redirect("forum:moderation", slug)
    return render(
        request,
        "reviews/public/moderation.html",
        {"workshop": workshop, "comments": held_comments(workshop)},
    )
