"""Camera-ready page for authors, and the public page of accepted papers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from workshop.errors import ServiceError
from workshop.models import Workshop

from . import selectors
from .filechecks import FileCheckError
from .models import Submission, SubmissionStatus
from .services.camera_ready import (
    LICENCE_TERMS,
    accepted_papers,
    camera_ready_open,
    camera_ready_page_limit,
    camera_ready_update,
    camera_ready_upload,
)
from .views import file_response


@login_required
@require_http_methods(["GET", "POST"])
def camera_ready(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        submission = selectors.submission_for_author(request.user, pk)
    except Submission.DoesNotExist:
        raise Http404("No such submission.") from None
    if submission.status != SubmissionStatus.ACCEPTED or not submission.workshop.decisions_released:
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
                    title=request.POST.get("title", ""),
                    abstract=request.POST.get("abstract", ""),
                    keywords=request.POST.get("keywords", ""),
                    licence=request.POST.get("licence", ""),
                    accept_terms=request.POST.get("accept_terms") == "on",
                )
                messages.success(request, "Final details and licence saved.")
        except FileCheckError as exc:
            messages.error(request, f"The file was not accepted: {exc.message}")
        except ServiceError as exc:
            messages.error(request, exc.message)
        return redirect("submissions:camera_ready", submission.pk)
    return render(
        request,
        "submissions/camera_ready.html",
        {
            "submission": submission,
            "workshop": submission.workshop,
            "open": camera_ready_open(submission),
            "page_limit": camera_ready_page_limit(submission),
            "licences": Submission._meta.get_field("licence").choices,
            "terms": LICENCE_TERMS,
        },
    )


def accepted(request: HttpRequest, slug: str) -> HttpResponse:
    workshop = get_object_or_404(Workshop, slug=slug)
    if not workshop.decisions_released:
        raise Http404("The accepted papers are not public yet.")
    return render(
        request,
        "submissions/accepted.html",
        {"workshop": workshop, "papers": accepted_papers(workshop)},
    )


def accepted_pdf(request: HttpRequest, slug: str, number: int) -> FileResponse:
    """The public PDF of an accepted paper: the camera-ready version only."""
    workshop = get_object_or_404(Workshop, slug=slug)
    submission = (
        Submission.objects.filter(
            workshop=workshop, number=number, status=SubmissionStatus.ACCEPTED,
            camera_ready__isnull=False,
        ).select_related("camera_ready", "workshop").first()
    )  # fmt: skip
    if not workshop.decisions_released or submission is None:
        raise Http404("No such paper.")
    return file_response(submission.camera_ready)
