"""The chairs' programme pages: the editor (drag and drop with a Move-button alternative),
the CSV import, publishing, and the settings, session and person forms."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from submissions.models import Submission
from workshop.errors import ServiceError
from workshop.models import Workshop
from workshop.plurals import counted
from workshop.validators import whole_number

from . import selectors, services
from .forms import CsvForm, SessionForm, SettingsForm, SpeakerForm
from .models import Session, Speaker
from .views import refusals, workshop_for


def _chair_workshop(request: HttpRequest, slug: str) -> Workshop:
    return workshop_for(request, slug, "programme.manage")


# --- chairs -------------------------------------------------------------------------------------


@login_required
@require_GET
@refusals
def editor(request: HttpRequest, slug: str) -> HttpResponse:
    workshop = _chair_workshop(request, slug)
    prog = selectors.settings_or_default(workshop)
    sessions = list(selectors.sessions_with_papers(workshop))
    selectors.days_of(sessions, prog)
    return render(
        request,
        "programme/editor.html",
        {
            "workshop": workshop,
            "prog": prog,
            "sessions": sessions,
            "paper_sessions": [s for s in sessions if s.takes_papers],
            "unplaced": selectors.unplaced_papers(workshop),
            "people": selectors.people_of(workshop),
            "csv_form": CsvForm(),
        },
    )


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_POST
@refusals
def place(request: HttpRequest, slug: str) -> HttpResponse:
    """Move a paper (drag and drop posts here with fetch; the select + button too)."""
    workshop = _chair_workshop(request, slug)
    target = request.POST.get("session", "").strip()
    position = request.POST.get("position", "")
    submission_id = whole_number(request.POST.get("submission", ""))
    if submission_id is None or (target not in ("", "unplaced") and whole_number(target) is None):
        message = "The paper and the session are given by their id, a whole number."
        if _wants_json(request):
            return JsonResponse({"ok": False, "message": message}, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    submission = Submission.objects.filter(workshop=workshop, pk=submission_id).first()
    if submission is None:
        raise Http404("No such paper.")
    try:
        if target in ("", "unplaced"):
            services.paper_unplace(actor=request.user, submission=submission)
            message = f"#{submission.number} is unplaced."
        else:
            session = get_object_or_404(Session, pk=whole_number(target), workshop=workshop)
            placement = services.paper_place(
                actor=request.user,
                submission=submission,
                session=session,
                position=whole_number(position),
            )
            message = f"#{submission.number} placed in {session.title} at {placement.order + 1}."
    except ServiceError as exc:
        if _wants_json(request):
            return JsonResponse({"ok": False, "message": exc.message}, status=exc.status_code)
        messages.error(request, exc.message)
        return redirect("programme:edit", slug)
    if _wants_json(request):
        return JsonResponse({"ok": True, "message": message})
    messages.success(request, message)
    return redirect(reverse("programme:edit", args=[slug]) + f"#paper-{submission.pk}")


@login_required
@require_POST
@refusals
def csv_import(request: HttpRequest, slug: str) -> HttpResponse:
    workshop = _chair_workshop(request, slug)
    form = CsvForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form.non_field_errors():
            messages.error(request, error)
        return redirect("programme:edit", slug)
    try:
        placed = services.papers_place_csv(
            actor=request.user, workshop=workshop, text=form.cleaned_data["text"]
        )
    except services.CsvRefused as exc:
        messages.error(request, exc.message + " " + "; ".join(exc.errors))
        return redirect("programme:edit", slug)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("programme:edit", slug)
    messages.success(request, f"{placed} paper{'s' if placed != 1 else ''} placed.")
    return redirect("programme:edit", slug)


@login_required
@require_POST
@refusals
def publish(request: HttpRequest, slug: str) -> HttpResponse:
    workshop = _chair_workshop(request, slug)
    on = request.POST.get("publish") == "1"
    try:
        queued = services.programme_publish(actor=request.user, workshop=workshop, publish=on)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        if on:
            messages.success(
                request, f"The programme is public; {counted(queued, 'slot mail')} queued."
            )
        else:
            messages.success(request, "The programme is hidden again.")
    return redirect("programme:edit", slug)


@login_required
@require_http_methods(["GET", "POST"])
@refusals
def settings_edit(request: HttpRequest, slug: str) -> HttpResponse:
    workshop = _chair_workshop(request, slug)
    prog = selectors.settings_or_default(workshop)
    zone_name = request.POST.get("time_zone", prog.time_zone)
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # the form will say so
        zone = prog.zone
    with timezone.override(zone):
        form = SettingsForm(request.POST or None, instance=prog)
        if request.method == "POST" and form.is_valid():
            try:
                services.programme_settings_update(
                    actor=request.user, workshop=workshop, **form.cleaned_data
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Programme settings saved.")
                return redirect("programme:edit", slug)
        return render(
            request,
            "programme/form.html",
            {"workshop": workshop, "form": form, "heading": "Programme settings"},
        )


def _delete_and_back(
    request: HttpRequest, slug: str, delete: Callable[[], object], done: str
) -> HttpResponse:
    """A form's "Delete" button: the service (its refusal as a message), back to the editor."""
    try:
        delete()
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("programme:edit", slug)


@login_required
@require_http_methods(["GET", "POST"])
@refusals
def session_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    workshop = _chair_workshop(request, slug)
    prog = selectors.settings_or_default(workshop)
    session = get_object_or_404(Session, pk=pk, workshop=workshop) if pk else None
    with timezone.override(prog.zone):
        form = SessionForm(request.POST or None, instance=session)
        if request.method == "POST" and request.POST.get("delete") and session:
            return _delete_and_back(
                request, slug, lambda: services.session_delete(actor=request.user, session=session),
                f"Session {session.title} deleted.",
            )  # fmt: skip
        if request.method == "POST" and form.is_valid():
            try:
                if session is None:
                    session = services.session_create(
                        actor=request.user, workshop=workshop, **form.cleaned_data
                    )
                else:
                    services.session_update(
                        actor=request.user, session=session, **form.cleaned_data
                    )
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Session {form.cleaned_data['title']} saved.")
                return redirect("programme:edit", slug)
        return render(
            request,
            "programme/form.html",
            {
                "workshop": workshop,
                "form": form,
                "object": session,
                "heading": f"Session: {session.title}" if session else "New session",
                "zone_note": f"Times in {prog.time_zone}.",
            },
        )


@login_required
@require_http_methods(["GET", "POST"])
@refusals
def speaker_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    workshop = _chair_workshop(request, slug)
    speaker = get_object_or_404(Speaker, pk=pk, workshop=workshop) if pk else None
    form = SpeakerForm(
        request.POST or None, request.FILES or None, instance=speaker, workshop=workshop
    )
    if request.method == "POST" and request.POST.get("delete") and speaker:
        return _delete_and_back(
            request, slug, lambda: services.speaker_delete(actor=request.user, speaker=speaker),
            f"{speaker.name} removed.",
        )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        photo = request.FILES.get("photo")
        remove = data.pop("remove_photo", False)
        data.pop("photo", None)
        try:
            if speaker is None:
                services.speaker_create(actor=request.user, workshop=workshop, photo=photo, **data)
            else:
                services.speaker_update(
                    actor=request.user, speaker=speaker, photo=photo, remove_photo=remove, **data
                )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{data['name']} saved.")
            return redirect("programme:edit", slug)
    return render(
        request,
        "programme/form.html",
        {
            "workshop": workshop,
            "form": form,
            "object": speaker,
            "multipart": True,
            "heading": f"{speaker.get_kind_display()}: {speaker.name}" if speaker else "New person",
        },
    )
