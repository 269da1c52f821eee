"""Camera-ready page for authors, and the public page of accepted papers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from workshop.errors import NotFound, ServiceError
from workshop.models import Workshop
from workshop.policy import can
from workshop.posted import posted_text

from . import selectors
from .filechecks import FileCheckError
from .models import Submission
from .permissions import camera_ready_page_limit
from .selectors_fields import field_lines_public
from .services.camera_ready import LICENCE_TERMS, camera_ready_update, camera_ready_upload
from .views import file_response


@login_required
@require_http_methods(["GET", "POST"])
def camera_ready(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        submission = selectors.submission_for_viewer(request.user, pk)
    except Submission.DoesNotExist:
        raise Http404("No such submission.") from None
    if not can(request.user, "submissions.view_public", submission):
        raise Http404("Only accepted papers have a camera-ready version.")
    if request.method == "POST":
        try:
            if "file" in request.FILES:
                stored = camera_ready_upload(
                    submission=submission, user=request.user, upload=request.FILES["file"]
                )
                messages.success(request, f"Camera-ready PDF uploaded ({stored.pages} pages).")
            else:
                camera_ready_update(
                    submission=submission,
                    user=request.user,
                    title=posted_text(request.POST, "title"),
                    abstract=posted_text(request.POST, "abstract"),
                    keywords=posted_text(request.POST, "keywords"),
                    licence=posted_text(request.POST, "licence"),
                    accept_terms=request.POST.get("accept_terms") == "on",
                )
                messages.success(request, "Final details and licence saved.")
        except FileCheckError as exc:
            messages.error(request, f"The file was not accepted: {exc.message}")
        except NotFound:
            raise Http404("No such submission.") from None
        except ServiceError as exc:
            messages.error(request, exc.message)
        return redirect("submissions:camera_ready", submission.pk)
    return render(
        request,
        "submissions/camera_ready.html",
        {
            "submission": submission,
            "workshop": submission.workshop,
            "may_prepare": can(request.user, "submissions.camera_ready", submission),
            "is_contact": can(request.user, "submissions.contact", submission),
            "page_limit": camera_ready_page_limit(submission),
            "licences": Submission._meta.get_field("licence").choices,
            "terms": LICENCE_TERMS,
        },
    )


def accepted(request: HttpRequest, slug: str) -> HttpResponse:
    workshop = get_object_or_404(Workshop, slug=slug)
    if not can(request.user, "submissions.view_accepted", workshop):
        raise Http404("The accepted papers are not public yet.")
    papers = list(selectors.accepted_papers(workshop))
    answers = field_lines_public(papers)  # the public custom fields (issue 27)
    for paper in papers:
        paper.public_answers = answers.get(paper.pk, [])
    return render(request, "submissions/accepted.html", {"workshop": workshop, "papers": papers})


def accepted_pdf(request: HttpRequest, slug: str, number: int) -> FileResponse:
    """The public PDF of an accepted paper: its own camera-ready version only."""
    workshop = get_object_or_404(Workshop, slug=slug)
    submission = (
        Submission.objects.filter(workshop=workshop, number=number)
        .select_related("camera_ready__submission__workshop", "workshop")
        .first()
    )
    final = submission.published_pdf if submission is not None else None
    if final is None or not can(request.user, "submissions.view_public", submission):
        raise Http404("No such paper.")
    return file_response(final)
