"""Pages of review rounds (issue 27, part 2): the authors' revised version, and the diff
of the two versions for the paper's reviewers and the chairs."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from submissions.filechecks.errors import FileCheckError
from submissions.models import Submission
from submissions.selectors import submission_for_viewer
from workshop.errors import NotFound, ServiceError
from workshop.models import Workshop
from workshop.policy import can

from ..selectors.committee import workshop_for_reviewing
from ..selectors.reviewing import NotVisible, paper_page
from ..selectors.rounds import paper_round, revision_diff
from ..services.rounds import paper_revision_upload


@login_required
@require_http_methods(["GET", "POST"])
def author_revision(request: HttpRequest, pk: int) -> HttpResponse:
    """The paper's later round, as its authors see it: the deadline of the revised
    version and the upload (contact authors, until the deadline)."""
    try:
        submission = submission_for_viewer(request.user, pk)
    except Submission.DoesNotExist:
        raise Http404("No such submission.") from None
    found = paper_round(submission)
    if found is None:
        raise Http404("This paper has not been sent to another round.")
    if request.method == "POST":
        try:
            if "file" not in request.FILES:
                raise ServiceError("Choose the revised PDF to upload.")
            stored = paper_revision_upload(
                submission=submission, user=request.user, upload=request.FILES["file"]
            )
        except FileCheckError as exc:
            messages.error(request, f"The file was not accepted: {exc.message}")
        except NotFound:
            raise Http404("No such submission.") from None
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, f"Revised PDF uploaded ({stored.pages} pages): the reviewers get it."
            )
        return redirect("author_revision", submission.pk)
    return render(
        request,
        "reviews/author_revision.html",
        {
            "submission": submission,
            "workshop": submission.workshop,
            "paper_round": found,
            "may_upload": can(request.user, "reviews.upload_revision", submission),
            "revised": submission.paper_id != found.previous_paper_id,
        },
    )


@login_required
def revision(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """The text diff, page by page, of the version reviewed in the previous round and the
    revised one."""
    try:
        workshop = workshop_for_reviewing(request.user, slug)
        page = paper_page(request.user, workshop, number)
    except (Workshop.DoesNotExist, NotVisible):
        raise Http404("No such paper.") from None
    submission = page.submission
    if not can(request.user, "reviews.view_revision", submission):
        raise Http404("No revised version of this paper.")
    found = paper_round(submission)
    old, new = found.previous_paper, submission.paper
    pages = revision_diff(old, new) if new is not None and new.pk != old.pk else []
    return render(
        request,
        "reviews/revision.html",
        {
            "submission": submission,
            "workshop": workshop,
            "paper_round": found,
            "old": old,
            "new": new,
            "pages": pages,
            "changed": sum(1 for p in pages if p.changed),
        },
    )
