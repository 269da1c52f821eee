"""Chair tools for assignment: matching runs and manual assignment."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from workshop.admin_scoping import ChairScopedAdmin
from workshop.errors import ServiceError
from workshop.plurals import counted
from workshop.validators import whole_number

from ..expertise.embedding import configured_model
from ..forms import ManualAssignmentForm, MatchingRunForm
from ..models import (
    Assignment,
    MatchingRun,
    Review,
    RunStatus,
)
from ..selectors.embeddings import EmbeddingProgress, embedding_progress
from ..services import assignment as assignment_services
from ..services import embeddings as embedding_services


@admin.register(Assignment)
class AssignmentAdmin(ChairScopedAdmin):
    """Manual assignment: assign (with the conflict check and load warnings), unassign, lock."""

    list_display = ["submission", "reviewer_name", "pseudonym", "role", "locked", "declined_at"]
    list_filter = [
        "role",
        "locked",
        ("declined_at", admin.EmptyFieldListFilter),
        "submission__workshop",
    ]
    search_fields = [
        "reviewer__name",
        "reviewer__email",
        "submission__title",
        "=submission__number",
    ]
    list_select_related = ["submission", "reviewer"]
    actions = ["lock", "unlock", "unassign"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    @admin.display(description="Reviewer", ordering="reviewer__name")
    def reviewer_name(self, obj: Assignment) -> str:
        return obj.reviewer.name

    def get_actions(self, request):  # type: ignore[no-untyped-def]
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # "Unassign" says what it does
        return actions

    def delete_model(self, request, obj) -> None:  # type: ignore[no-untyped-def]
        """The assignment's delete page unassigns through the service: an activity entry,
        the paper's stored figures refreshed."""
        assignment_services.assignment_remove(assignment=obj, chair=request.user)

    def delete_queryset(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        for assignment in queryset.select_related("submission__workshop"):
            self.delete_model(request, assignment)

    def get_deleted_objects(self, objs, request):  # type: ignore[no-untyped-def]
        """A review goes with its assignment (`assignment_remove` says so on the same page):
        that chairs cannot delete reviews by themselves does not forbid it."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(Review._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    def add_view(self, request, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        workshops = self.chaired_workshops(request)
        if "workshop" in request.GET:
            workshop = self.chaired_workshop(request, request.GET["workshop"])
        else:
            workshop = workshops.first()
        if workshop is None:
            raise Http404
        form = ManualAssignmentForm(request.POST or None, workshop=workshop)
        if request.method == "POST" and form.is_valid():
            try:
                _, warnings = assignment_services.assignment_add(
                    submission=form.cleaned_data["submission"],
                    reviewer=form.cleaned_data["reviewer"],
                    chair=request.user,
                    locked=form.cleaned_data["locked"],
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, "Assigned.", messages.SUCCESS)
                for warning in warnings:
                    self.message_user(request, warning, messages.WARNING)
                return redirect("admin:reviews_assignment_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "workshop": workshop,
            "workshops": workshops,
            "title": f"Assign a reviewer ({workshop.short_name})",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/reviews/assign.html", context)

    @admin.action(description="Lock the selected assignments (kept by matching runs)")
    def lock(self, request: HttpRequest, queryset: QuerySet[Assignment]) -> None:
        for a in queryset:
            assignment_services.assignment_lock(assignment=a, chair=request.user, locked=True)
        self.message_user(request, "Locked.", messages.SUCCESS)

    @admin.action(description="Unlock the selected assignments")
    def unlock(self, request: HttpRequest, queryset: QuerySet[Assignment]) -> None:
        for a in queryset:
            assignment_services.assignment_lock(assignment=a, chair=request.user, locked=False)
        self.message_user(request, "Unlocked.", messages.SUCCESS)

    @admin.action(description="Unassign the selected reviewers")
    def unassign(self, request: HttpRequest, queryset: QuerySet[Assignment]) -> None:
        count = 0
        for a in queryset.select_related("submission__workshop"):
            assignment_services.assignment_remove(assignment=a, chair=request.user)
            count += 1
        self.message_user(request, f"{counted(count, 'assignment')} removed.", messages.SUCCESS)


@admin.register(MatchingRun)
class MatchingRunAdmin(ChairScopedAdmin):
    """The chair's assignment page: run the engine, watch it, preview, compare, commit."""

    list_display = ["__str__", "status", "mode", "total", "floor", "created_at", "created_by"]
    list_filter = ["workshop", "status", "mode"]
    chairs_may_delete = False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    @admin.display(description="Total fit")
    def total(self, run: MatchingRun) -> str:
        return str(run.result.get("total", "—"))

    @admin.display(description="Worst paper's fit")
    def floor(self, run: MatchingRun) -> str:
        return str(run.result.get("min_paper_sum", "—"))

    def get_urls(self):  # type: ignore[no-untyped-def]
        wrap = self.admin_site.admin_view
        return [
            path("<int:run_id>/progress/", wrap(self.progress_view), name="reviews_run_progress"),
            path("<int:run_id>/cancel/", wrap(self.cancel_view), name="reviews_run_cancel"),
            path("<int:run_id>/commit/", wrap(self.commit_view), name="reviews_run_commit"),
            path("compare/", wrap(self.compare_view), name="reviews_run_compare"),
            path("embeddings/", wrap(self.embeddings_view), name="reviews_run_embeddings"),
            *super().get_urls(),
        ]

    def _run(self, request: HttpRequest, run_id: int) -> MatchingRun:
        run = self.get_queryset(request).select_related("workshop").filter(pk=run_id).first()
        if run is None:
            raise Http404("No such run.")
        return run

    def add_view(self, request, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        workshops = self.chaired_workshops(request)
        if not workshops.exists():
            raise Http404
        form = MatchingRunForm(
            request.POST or None, workshops=workshops, initial=self._run_initial(request)
        )
        if request.method == "POST" and form.is_valid():
            try:
                run = assignment_services.matching_run_create(
                    workshop=form.cleaned_data["workshop"],
                    chair=request.user,
                    mode=form.cleaned_data["mode"],
                    parameters=form.parameters(),
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("admin:reviews_matchingrun_change", run.pk)
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": "Run the assignment",
            "opts": self.model._meta,
            "recent": self.get_queryset(request).order_by("-created_at")[:10],
            "embeddings": _embedding_progress(list(workshops[:5])),
        }
        return TemplateResponse(request, "admin/reviews/run_new.html", context)

    def embeddings_view(self, request: HttpRequest) -> HttpResponse:
        """Compute the missing text embeddings now (a worker's sweep) instead of waiting for
        the periodic one; the page shows the progress."""
        workshop = self.chaired_workshop(request, request.POST.get("workshop", ""))
        if request.method == "POST":
            if embedding_services.embeddings_sweep_request():
                self.message_user(
                    request,
                    "The missing embeddings are being computed in the background.",
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    "The task queue cannot be reached: the periodic sweep will compute them.",
                    messages.WARNING,
                )
        return redirect(f"{reverse('admin:reviews_matchingrun_add')}?workshop={workshop.pk}")

    def _run_initial(self, request: HttpRequest) -> dict:
        """The workshop the chair came from (`?workshop=`, as the chairs' panel links), or
        their only one; with several and none named, none is preselected, so that a run is
        never started on a workshop the chair did not pick."""
        if request.GET.get("workshop"):
            workshop = self.chaired_workshop(request, request.GET["workshop"])
        else:
            workshops = list(self.chaired_workshops(request)[:2])
            workshop = workshops[0] if len(workshops) == 1 else None
        if workshop is None:
            return {}
        return {"workshop": workshop, "reviews_per_paper": workshop.reviews_per_paper}

    def change_view(self, request, object_id, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        run = self._run(request, whole_number(object_id) or 0)
        others = self.get_queryset(request).filter(workshop=run.workshop).exclude(pk=run.pk)
        context = {
            **self.admin_site.each_context(request),
            "run": run,
            "title": str(run),
            "opts": self.model._meta,
            "others": others.filter(status__in=["done", "committed"])[:20],
            "stale": run.status == "done"
            and assignment_services.current_pairs(run.workshop) != run.baseline,
            "per_paper": _per_paper(run),
            "bidding_closes": assignment_services.bidding_closes(run.workshop),
        }
        return TemplateResponse(
            request, "admin/reviews/run_detail.html", {**context, "RunStatus": RunStatus}
        )

    def progress_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = self._run(request, run_id)
        if run.status in ("done", "failed", "cancelled", "committed") and request.htmx:
            response = HttpResponse()
            response["HX-Refresh"] = "true"  # the full preview replaces the progress bar
            return response
        return TemplateResponse(
            request, "admin/reviews/_run_progress.html", {"run": run, "RunStatus": RunStatus}
        )

    def cancel_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = self._run(request, run_id)
        if request.method == "POST":
            assignment_services.matching_run_cancel(run=run, chair=request.user)
            self.message_user(request, "Run cancelled.", messages.SUCCESS)
        return redirect("admin:reviews_matchingrun_change", run.pk)

    def commit_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = self._run(request, run_id)
        if request.method != "POST":
            return redirect("admin:reviews_matchingrun_change", run.pk)
        try:
            counts = assignment_services.matching_run_commit(
                run=run,
                chair=request.user,
                during_bidding=request.POST.get("during_bidding") == "1",
            )
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(
                request,
                f"Assignment committed: {counts['added']} added, {counts['removed']} removed; "
                f"{counted(counts['notified'], 'reviewer')} notified.",
                messages.SUCCESS,
            )
        return redirect("admin:reviews_matchingrun_change", run.pk)

    def compare_view(self, request: HttpRequest) -> HttpResponse:
        try:
            a = self._run(request, int(request.GET.get("a", 0)))
            b = self._run(request, int(request.GET.get("b", 0)))
        except ValueError:
            raise Http404 from None
        pairs_a = {(s, u) for s, u, _ in a.result.get("pairs", [])}
        pairs_b = {(s, u) for s, u, _ in b.result.get("pairs", [])}
        context = {
            **self.admin_site.each_context(request),
            "a": a,
            "b": b,
            "title": f"Compare run {a.pk} and run {b.pk}",
            "opts": self.model._meta,
            "only_a": len(pairs_a - pairs_b),
            "only_b": len(pairs_b - pairs_a),
            "both": len(pairs_a & pairs_b),
        }
        return TemplateResponse(request, "admin/reviews/run_compare.html", context)


def _embedding_progress(workshops: list) -> list[tuple[object, EmbeddingProgress]]:
    """Per workshop, how many of its texts have a vector for the configured embedding
    model (none when no model is configured)."""
    model = configured_model()
    if model is None:
        return []
    return [(w, embedding_progress(w, model.name)) for w in workshops]


def _per_paper(run: MatchingRun) -> list[dict]:
    """The whole proposal, paper by paper, for the preview's full table."""
    from submissions.models import Submission
    from workshop.models import User

    pairs = run.result.get("pairs") or []
    if not pairs:
        return []
    wanted = {p[0] for p in pairs}
    papers = {s.pk: s for s in Submission.objects.filter(pk__in=wanted).only("number", "title")}
    names = dict(User.objects.filter(pk__in={p[1] for p in pairs}).values_list("pk", "name"))
    explained = _explanations(run, [(s, u) for s, u, _ in pairs])
    rows: dict[int, dict] = {}
    for sid, uid, fit in pairs:
        paper = papers[sid]
        row = rows.setdefault(
            sid, {"number": paper.number, "title": paper.title, "reviewers": [], "fit": 0.0,
                  "details": []},
        )  # fmt: skip
        row["reviewers"].append(names.get(uid, "?"))
        row["details"].append(
            {"name": names.get(uid, "?"), "fit": fit, "explain": explained.get((sid, uid))}
        )
        row["fit"] = round(row["fit"] + fit, 3)
    return sorted(rows.values(), key=lambda r: r["number"])


def _explanations(run: MatchingRun, pairs: list[tuple[int, int]]) -> dict:
    """Why each proposed pair fits (topic, text, embedding, bid, best publications), read
    from the workshop as it is now: chairs see everything, so nothing is hidden here."""
    from ..selectors.matching import explain_pairs, matching_input

    if not pairs or run.status not in (RunStatus.DONE, RunStatus.COMMITTED):
        return {}
    instance = matching_input(run.workshop, (run.parameters or {}).get("weights"))
    return explain_pairs(instance, pairs)
