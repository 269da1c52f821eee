"""Programme pages: the public programme, its iCal feeds, photos and material, and the
presenter's page (the chairs' pages are in `views_chair`). Views authenticate, validate,
call one service or selector, respond."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from submissions.filechecks import FileCheckError
from submissions.models import Submission
from workshop.errors import NotFound, ServiceError
from workshop.models import Workshop
from workshop.policy import can

from . import selectors, services
from .ical import calendar_for
from .models import MaterialKind, Speaker


def workshop_for(request: HttpRequest, slug: str, perm: str = "programme.view") -> Workshop:
    """The workshop, if the user may see its programme (404 otherwise: unpublished
    programmes do not exist for anyone but the chairs)."""
    workshop = get_object_or_404(Workshop.objects.select_related("programme_settings"), slug=slug)
    if not can(request.user, "programme.view", workshop):
        raise Http404("No programme yet.")
    if perm != "programme.view" and not can(request.user, perm, workshop):
        return _forbidden(request, "Only the chairs build the programme.")
    return workshop


class _Refused(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def _forbidden(request: HttpRequest, message: str) -> Any:
    raise _Refused(render(request, "programme/refused.html", {"message": message}, status=403))


def refusals(view):
    """Turn `_Refused` and service refusals into their pages (404 / 403)."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except _Refused as exc:
            return exc.response
        except NotFound:
            raise Http404("Not found.") from None

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


# --- public -----------------------------------------------------------------------------------


@require_GET
@refusals
def programme_public(request: HttpRequest, slug: str) -> HttpResponse:
    workshop = workshop_for(request, slug)
    prog = selectors.settings_or_default(workshop)
    sessions = list(selectors.sessions_with_papers(workshop))
    return render(
        request,
        "programme/public.html",
        {
            "workshop": workshop,
            "prog": prog,
            "days": selectors.days_of(sessions, prog),
            "people": selectors.people_of(workshop),
            "may_manage": can(request.user, "programme.manage", workshop),
        },
    )


def _ics(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{name}.ics"'
    return response


@require_GET
@refusals
def programme_ics(request: HttpRequest, slug: str) -> HttpResponse:
    workshop = workshop_for(request, slug)
    prog = selectors.settings_or_default(workshop)
    sessions = selectors.sessions_with_papers(workshop)
    return _ics(calendar_for(prog, sessions, f"{workshop.short_name} programme"), workshop.slug)


@require_GET
@refusals
def session_ics(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    workshop = workshop_for(request, slug)
    prog = selectors.settings_or_default(workshop)
    sessions = list(selectors.sessions_with_papers(workshop).filter(pk=pk))
    if not sessions:
        raise Http404("No such session.")
    name = f"{workshop.short_name}: {sessions[0].title}"
    return _ics(calendar_for(prog, sessions, name), f"{workshop.slug}-session-{pk}")


@require_GET
@refusals
def speaker_photo(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    workshop = workshop_for(request, slug)
    speaker = get_object_or_404(Speaker, pk=pk, workshop=workshop)
    if not speaker.photo:
        raise Http404("No photo.")
    ext = speaker.photo.name.rsplit(".", 1)[-1].lower()
    kind = {"jpg": "jpeg", "jpeg": "jpeg", "png": "png", "webp": "webp", "gif": "gif"}
    response = FileResponse(speaker.photo.open("rb"), content_type=f"image/{kind.get(ext, 'jpeg')}")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@refusals
def material_download(request: HttpRequest, slug: str, number: int) -> FileResponse:
    """A placed paper's slides or poster: public with the programme."""
    workshop = workshop_for(request, slug)
    placement = selectors.placement_for_paper(workshop, number)
    if placement is None or not placement.material:
        raise Http404("No slides or poster yet.")
    kind = placement.material_kind or "material"
    response = FileResponse(
        placement.material.open("rb"),
        as_attachment=True,
        filename=f"{workshop.slug}-{kind}-{number}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- presenters -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@refusals
def presenter_page(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    workshop = get_object_or_404(Workshop, slug=slug)
    submission = (
        Submission.objects.filter(workshop=workshop, number=number)
        .select_related("workshop__programme_settings")
        .first()
    )
    if submission is None or not can(request.user, "programme.view_slot", submission):
        raise Http404("No such slot.")
    if request.method == "POST":
        try:
            if request.POST.get("action") == "presenter":
                placement = services.presenter_choose(
                    actor=request.user, submission=submission, email=request.POST.get("email", "")
                )
                who = placement.presenter.name if placement.presenter else "the contact authors"
                messages.success(request, f"Presenter: {who}.")
            elif request.POST.get("action") == "confirm":
                services.attendance_confirm(actor=request.user, submission=submission)
                messages.success(request, "Thank you: your attendance is confirmed.")
            elif "file" in request.FILES:
                placement = services.material_upload(
                    actor=request.user,
                    submission=submission,
                    upload=request.FILES["file"],
                    kind=request.POST.get("kind", ""),
                )
                messages.success(
                    request,
                    f"{placement.get_material_kind_display()} uploaded "
                    f"({placement.material_pages} pages).",
                )
            else:
                messages.error(request, "Choose a PDF file to upload.")
        except FileCheckError as exc:
            messages.error(request, f"The file was not accepted: {exc.message}")
        except NotFound:
            raise Http404("No such slot.") from None
        except ServiceError as exc:
            if exc.status_code == 403:
                return render(
                    request, "programme/refused.html", {"message": exc.message}, status=403
                )
            messages.error(request, exc.message)
        return redirect("programme:paper", slug, number)
    placement = selectors.placement_for_paper(workshop, number)
    prog = selectors.settings_or_default(workshop)
    session = placement.session
    session.local_start = session.starts_at.astimezone(prog.zone)
    session.local_end = session.ends_at.astimezone(prog.zone)
    return render(
        request,
        "programme/presenter.html",
        {
            "workshop": workshop,
            "prog": prog,
            "submission": submission,
            "placement": placement,
            "session": session,
            "may_confirm": can(request.user, "programme.confirm_attendance", submission),
            "may_upload": can(request.user, "programme.upload_material", submission),
            "may_choose": can(request.user, "programme.choose_presenter", submission),
            "authors": submission.authors.all(),
            "material_kinds": MaterialKind.choices,
        },
    )
