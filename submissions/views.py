"""Author pages. Thin: authenticate, validate, call one service or selector, respond."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from workshop.errors import DeadlinePassed, NotAllowed, NotFound, ServiceError
from workshop.files import stored_file_response
from workshop.models import Workshop
from workshop.permissions import roles_prefill
from workshop.phases import next_milestone
from workshop.policy import can

from . import selectors, services
from .filechecks import FileCheckError
from .forms import AuthorFormSet, ConflictForm, SubmissionForm, UploadForm
from .forms_fields import FieldAnswersForm
from .models import (
    CheckStatus,
    FileKind,
    MissingItem,
    Submission,
    SubmissionFile,
    SubmissionStatus,
)
from .permissions import page_limit_for
from .selectors_fields import field_lines_for_author, submission_fields
from .services.fields import AnswerError, paper_answers_missing
from .services.lifecycle import WITHDRAW_REFUSED, check_change, missing_items
from .todo import author_todo, confirmed_emails


def _submission(request: HttpRequest, pk: int) -> Submission:
    try:
        return selectors.submission_for_viewer(request.user, pk)
    except Submission.DoesNotExist:
        raise Http404("No such submission.") from None


# Refusals get their own page (404 or 403); any other ServiceError is a message on the form.
REFUSALS = (NotFound, NotAllowed, DeadlinePassed)


def _refused(
    request: HttpRequest, submission: Submission | None, exc: ServiceError
) -> HttpResponse:
    """The page for a refused change: 404 for NotFound, else the plain message."""
    if isinstance(exc, NotFound):
        raise Http404(exc.message)
    return render(
        request,
        "submissions/refused.html",
        {"submission": submission, "message": exc.message},
        status=exc.status_code,
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    papers = list(selectors.author_dashboard(request.user))
    roles_prefill(request.user, {s.workshop_id for s in papers})
    confirmed = confirmed_emails(papers)
    rows = [
        {
            "submission": s,
            "next": next_milestone(s.workshop, now),
            "todo": author_todo(s, request.user, confirmed=confirmed),
        }
        for s in papers
    ]
    open_calls = [
        w
        for w in Workshop.objects.filter(is_public=True)
        if can(request.user, "submissions.create", w)
    ]
    return render(request, "submissions/dashboard.html", {"rows": rows, "open_calls": open_calls})


def _refusal(
    request: HttpRequest, submission: Submission, perm: str = "submissions.edit"
) -> ServiceError | None:
    """Why the service would refuse `perm` to the requester now (None: it would not)."""
    try:
        check_change(submission, request.user, perm)
    except ServiceError as exc:
        return exc
    return None


def _change_refused(
    request: HttpRequest, submission: Submission, perm: str = "submissions.edit"
) -> HttpResponse | None:
    """The refusal page when `perm` is refused, before any form is shown."""
    refusal = _refusal(request, submission, perm)
    return _refused(request, submission, refusal) if refusal else None


@login_required
@require_http_methods(["GET", "POST"])
def submission_new(request: HttpRequest, slug: str) -> HttpResponse:
    workshop = get_object_or_404(Workshop, slug=slug)
    if not can(request.user, "submissions.create", workshop):
        return _refused(
            request,
            None,
            DeadlinePassed(
                "The call for papers of this workshop is not open: its deadline has passed "
                "or it has not started yet."
            ),
        )
    form = SubmissionForm(request.POST or None, workshop=workshop)
    answers = FieldAnswersForm(
        request.POST or None, request.FILES or None, workshop=workshop, user=request.user
    )
    if request.method == "POST" and _both_valid(form, answers):
        try:
            submission = services.submission_create_with_answers(
                workshop=workshop,
                user=request.user,
                secondary_topics=list(form.cleaned_data["secondary_topics"]),
                answers=answers.answers(),
                **form.service_fields(),
            )
        except ServiceError as exc:
            return _refused(request, None, exc)
        for warning in answers.warnings:
            messages.warning(request, warning)
        messages.success(
            request,
            f"Draft #{submission.number} saved. "
            "Add your co-authors and upload the PDF, then submit.",
        )
        return redirect("submissions:detail", submission.pk)
    return render(
        request,
        "submissions/form.html",
        {"form": form, "answers": answers, "workshop": workshop},
    )


@login_required
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _submission(request, pk)
    files = list(submission.files.all())
    confirmed = confirmed_emails([submission])
    questions = submission_fields(submission.workshop_id)  # read once for both uses below
    return render(
        request,
        "submissions/detail.html",
        {
            "submission": submission,
            "workshop": submission.workshop,
            "paper_versions": [f for f in files if f.kind == FileKind.PAPER],
            "supplementary_versions": [f for f in files if f.kind == FileKind.SUPPLEMENTARY],
            "history": selectors.submission_history(submission, limit=50),
            "missing": missing_items(submission) if submission.is_draft else [],
            "missing_answers": (
                paper_answers_missing(submission, fields=questions) if submission.is_draft else []
            ),
            "field_lines": field_lines_for_author(submission, fields=questions),
            "todo": author_todo(submission, request.user, confirmed=confirmed),
            "authors_confirmed": confirmed,
            "MissingItem": MissingItem,
            "SubmissionStatus": SubmissionStatus,
            "CheckStatus": CheckStatus,
            "page_limit": page_limit_for(submission),
            "edits_closed": isinstance(_refusal(request, submission), DeadlinePassed),
            "upload_form": UploadForm(),
            "next": next_milestone(submission.workshop),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def submission_edit(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _submission(request, pk)
    if refused := _change_refused(request, submission):
        return refused
    form = SubmissionForm(request.POST or None, instance=submission, workshop=submission.workshop)
    answers = FieldAnswersForm(
        request.POST or None,
        request.FILES or None,
        workshop=submission.workshop,
        user=request.user,
        submission=submission,
    )
    if request.method == "POST" and _both_valid(form, answers):
        try:
            warnings = services.submission_update_with_answers(
                submission=submission,
                user=request.user,
                secondary_topics=list(form.cleaned_data["secondary_topics"]),
                answers=answers.answers(),
                **form.service_fields(),
            )
        except REFUSALS as exc:
            return _refused(request, submission, exc)
        except AnswerError as exc:
            answers.add_error(exc.code if exc.code in answers.fields else None, exc.message)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Details saved.")
            for warning in warnings:
                messages.warning(request, warning)
            return redirect("submissions:detail", submission.pk)
    return render(
        request,
        "submissions/form.html",
        {
            "form": form,
            "answers": answers,
            "workshop": submission.workshop,
            "submission": submission,
        },
    )


def _both_valid(form: SubmissionForm, answers: FieldAnswersForm) -> bool:
    """The paper's details and its custom answers, checked together so that every error
    shows at once (the answers' conditions follow the submission type chosen)."""
    valid = form.is_valid()
    if answers.is_valid():
        stype = form.cleaned_data.get("submission_type") if hasattr(form, "cleaned_data") else None
        if stype is None and form.instance.pk and "submission_type" not in form.fields:
            stype = form.instance.submission_type
        answers.clean_with(stype.pk if stype else None)
    return valid and not answers.errors


@login_required
@require_http_methods(["GET", "POST"])
def submission_authors(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _submission(request, pk)
    if refused := _change_refused(request, submission):
        return refused
    initial = [
        {
            "name": a.name,
            "email": a.email,
            "affiliation": a.affiliation,
            "is_contact": a.is_contact,
            "ORDER": a.position,
        }
        for a in submission.authors.all()
    ]
    formset = AuthorFormSet(request.POST or None, initial=initial, prefix="authors")
    if request.method == "POST" and formset.is_valid():
        try:
            services.authors_replace(
                submission=submission, user=request.user, entries=formset.entries()
            )
        except ServiceError as exc:
            if isinstance(exc, REFUSALS):
                return _refused(request, submission, exc)
            messages.error(request, exc.message)
        else:
            messages.success(request, "Authors saved. Everyone on the list has been told.")
            return redirect("submissions:detail", submission.pk)
    return render(
        request,
        "submissions/authors.html",
        {
            "formset": formset,
            "submission": submission,
            "confirmed": confirmed_emails([submission]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def submission_conflicts(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _submission(request, pk)
    if refused := _change_refused(request, submission, "submissions.declare_conflicts"):
        return refused
    committee = selectors.committee_for_conflicts(submission.workshop)
    declared = list(submission.declared_conflicts.all())
    form = ConflictForm(
        request.POST or None,
        committee=committee,
        initial={
            "members": [c.member_id for c in declared if c.member_id],
            "institutions": "\n".join(c.institution for c in declared if c.institution),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.conflicts_declare(
                submission=submission,
                user=request.user,
                members=list(form.cleaned_data["members"]),
                institutions=form.cleaned_data["institutions"].splitlines(),
            )
        except REFUSALS as exc:
            return _refused(request, submission, exc)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Conflicts saved.")
            return redirect("submissions:detail", submission.pk)
    return render(request, "submissions/conflicts.html", {"form": form, "submission": submission})


@login_required
@require_POST
def submission_upload(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    submission = _submission(request, pk)
    if kind not in (FileKind.PAPER, FileKind.SUPPLEMENTARY):
        raise Http404("No such file kind.")
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a file to upload.")
        return redirect("submissions:detail", submission.pk)
    try:
        stored = services.submission_file_upload(
            submission=submission,
            user=request.user,
            kind=FileKind(kind),
            upload=form.cleaned_data["file"],
        )
    except FileCheckError as exc:
        messages.error(request, f"The file was not accepted: {exc.message}")
        return redirect("submissions:detail", submission.pk)
    except ServiceError as exc:
        return _refused(request, submission, exc)
    pages = f", {stored.pages} pages" if stored.pages else ""
    messages.success(
        request, f"{stored.get_kind_display()} uploaded ({stored.size:,} bytes{pages})."
    )
    return redirect("submissions:detail", submission.pk)


@login_required
@require_POST
def submission_submit(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _submission(request, pk)
    try:
        services.submission_submit(submission=submission, user=request.user)
    except ServiceError as exc:
        if isinstance(exc, REFUSALS):
            return _refused(request, submission, exc)
        messages.error(request, exc.message)
        return redirect("submissions:detail", submission.pk)
    messages.success(request, "Submitted. A receipt is on its way to every author.")
    return redirect("submissions:detail", submission.pk)


@login_required
@require_http_methods(["GET", "POST"])
def submission_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _submission(request, pk)
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            messages.error(request, "Tick the box to confirm the withdrawal.")
            return redirect("submissions:withdraw", submission.pk)
        try:
            services.submission_withdraw(submission=submission, user=request.user)
        except ServiceError as exc:
            return _refused(request, submission, exc)
        messages.success(request, "The paper has been withdrawn. Everything is kept.")
        return redirect("submissions:detail", submission.pk)
    if not can(request.user, "submissions.withdraw", submission):
        message = "This paper cannot be withdrawn."
        if can(request.user, "submissions.contact", submission) and not submission.is_withdrawn:
            message = WITHDRAW_REFUSED.format(contact=submission.workshop.contact_email)
        return _refused(request, submission, NotAllowed(message))
    return render(request, "submissions/withdraw.html", {"submission": submission})


@login_required
@require_POST
def submission_restore(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _submission(request, pk)
    try:
        services.submission_restore(submission=submission, user=request.user)
    except ServiceError as exc:
        return _refused(request, submission, exc)
    messages.success(request, "The paper has been restored. Every author has been told.")
    return redirect("submissions:detail", submission.pk)


@login_required
def file_download(request: HttpRequest, pk: int, file_pk: int) -> HttpResponse:
    try:
        stored = selectors.submission_file_visible_to(request.user, pk, file_pk)
    except SubmissionFile.DoesNotExist:
        raise Http404("No such file.") from None
    return file_response(stored)


def file_response(stored, *, reviewer_copy: bool = False) -> HttpResponse:
    """An attachment named after the workshop and number, never after the uploader's file."""
    s = stored.submission
    ext = "zip" if stored.content_type == "application/zip" else "pdf"
    label = {"paper": "paper", "supplementary": "supplementary", "camera_ready": "paper"}
    name = f"{s.workshop.slug}-{label[stored.kind]}-{s.number}.{ext}"
    source = stored.reviewer_copy if reviewer_copy and stored.reviewer_copy else stored.file
    return stored_file_response(source, filename=name, content_type=stored.content_type)


@login_required
def paper_download(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _submission(request, pk)
    if submission.paper is None:
        raise Http404("No paper uploaded yet.")
    return file_response(submission.paper)
