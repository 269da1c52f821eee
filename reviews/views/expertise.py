"""The publication list on the reviewer profile page: import, add, edit, exclude, delete.

Thin views over `reviews.services.expertise`; the list itself is rendered by the
`reviews/_publications.html` include of the profile page. The workshop in the URL is only
where the person came from (its committee page); the list is theirs across workshops.
"""

from __future__ import annotations

from dataclasses import asdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from workshop.errors import ServiceError
from workshop.posted import posted_text
from workshop.validators import whole_number

from ..expertise.importers import decode
from ..services import expertise as services
from .committee import _workshop

REPORT_KEY = "publication-import-report"
PENDING_KEY = "publication-import-pending"


def _back(slug: str) -> HttpResponse:
    return redirect(f"{reverse('reviews:profile', args=[slug])}#publications")


def _fields(request: HttpRequest) -> dict[str, object]:
    year = request.POST.get("year", "").strip()
    return {
        "title": posted_text(request.POST, "title"),
        "abstract": posted_text(request.POST, "abstract"),
        "year": whole_number(year, max_digits=4),
        "venue": posted_text(request.POST, "venue"),
        "authors": posted_text(request.POST, "authors"),
        "url": posted_text(request.POST, "url"),
        "doi": posted_text(request.POST, "doi"),
    }


@login_required
@require_POST
def publications_import(request: HttpRequest, slug: str) -> HttpResponse:
    """Preview (dry run) or import a file of publications.

    A file that previews without errors is kept in the session (its text, format and name,
    at most `MAX_UPLOAD`), so that "Import" after "Preview" saves it without choosing it
    again; a new file or pasted text replaces it, and a real import forgets it.
    """
    workshop = _workshop(request, slug)
    upload = request.FILES.get("file")
    pasted = posted_text(request.POST, "text")
    fmt = request.POST.get("format", "auto")
    kept = request.session.get(PENDING_KEY)
    name = upload.name if upload else ""
    if upload is not None or pasted.strip():
        data: bytes | str = upload.read(services.MAX_UPLOAD + 1) if upload else pasted
    elif isinstance(kept, dict) and isinstance(kept.get("text"), str):
        data, fmt, name = kept["text"], str(kept.get("format", "auto")), str(kept.get("name", ""))
    else:
        messages.error(request, "Choose a file to import (or paste its content).")
        return _back(workshop.slug)
    dry_run = bool(request.POST.get("dry_run"))
    try:
        report = services.publications_import(
            actor=request.user, owner=request.user, data=data, fmt=fmt, dry_run=dry_run
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return _back(workshop.slug)
    request.session[REPORT_KEY] = {**asdict(report), "ok": report.ok}
    text = data if isinstance(data, str) else decode(data)[0]
    if dry_run and report.ok and text is not None:
        request.session[PENDING_KEY] = {"text": text, "format": fmt, "name": name[:200]}
    elif report.ok or upload is not None or pasted.strip():
        # Imported, or another file tried: the kept preview is no longer what the person means.
        request.session.pop(PENDING_KEY, None)
    if report.ok and not report.dry_run:
        messages.success(
            request,
            f"Imported: {report.created} new, {report.merged} merged, "
            f"{report.unchanged} already in your list.",
        )
    return _back(workshop.slug)


@login_required
@require_POST
def publication_add(request: HttpRequest, slug: str) -> HttpResponse:
    workshop = _workshop(request, slug)
    try:
        services.publication_add(actor=request.user, owner=request.user, **_fields(request))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Publication added.")
    return _back(workshop.slug)


@login_required
@require_POST
def publication_change(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One publication: action=exclude | include | edit | delete."""
    workshop = _workshop(request, slug)
    action = request.POST.get("action", "")
    try:
        pub = services.publication_for(request.user, request.user, pk)
        if action in ("exclude", "include"):
            services.publication_set_excluded(
                actor=request.user, publication=pub, excluded=action == "exclude"
            )
        elif action == "edit":
            services.publication_update(actor=request.user, publication=pub, **_fields(request))
        elif action == "delete":
            services.publication_delete(actor=request.user, publication=pub)
        else:
            raise ServiceError("Unknown action.")
    except ServiceError as exc:
        if exc.status_code == 404:
            raise Http404(exc.message) from None
        messages.error(request, exc.message)
    else:
        messages.success(request, "Publication list saved.")
    return _back(workshop.slug)
